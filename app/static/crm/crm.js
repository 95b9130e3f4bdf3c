// Server-searched record pickers: <select class="crm-lookup" data-url=...>.
$(function () {
    $("select.crm-lookup").each(function () {
        var elem = $(this);
        elem.select2({
            theme: "bootstrap",
            allowClear: true,
            placeholder: elem.data("placeholder") || "",
            minimumInputLength: 0,
            ajax: {
                url: elem.data("url"),
                dataType: "json",
                delay: 250,
                data: function (params) { return {q: params.term || "", page: params.page || 1}; },
                processResults: function (data) { return data; }
            }
        });
    });
});

// Small behaviours used by several pages (no inline handlers: CSP).
$(function () {
    $("form.crm-confirm").on("submit", function (e) {
        if (!window.confirm($(this).data("confirm"))) { e.preventDefault(); }
    });
    $("select.crm-autosubmit").on("change", function () { this.form.submit(); });
    // permission matrix: select all in a row / a module
    $(".crm-all-row").on("change", function () {
        $(this).closest("tr").find("input[type=checkbox]").not(this).prop("checked", this.checked);
    });
    $(".crm-all-module").on("change", function () {
        $(this).closest("tbody").find("input[type=checkbox]").not(this).prop("checked", this.checked);
    });
});
