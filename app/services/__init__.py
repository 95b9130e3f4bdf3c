"""Operations that span several records; each validates, then runs in one transaction."""
