// Localises the widgets FAB ships with English built in: select2 texts, the date picker and
// the list actions' alert.
// The translated texts come from data-* attributes of this script tag (see crm/base.html).
(function ($) {
    var texts = document.currentScript.dataset;
    if ($.fn.select2) {
        $.fn.select2.defaults.set("language", {
            noResults: function () { return texts.noResults; },
            searching: function () { return texts.searching; },
            loadingMore: function () { return texts.loadingMore; },
            errorLoading: function () { return texts.errorLoading; },
            removeAllItems: function () { return texts.removeAll; }
        });
        // ab.js initialises FAB's relation pickers with an English placeholder: replace it.
        $(function () {
            $("select.my_select2").each(function () {
                // the options ab.js uses, with our placeholder
                $(this).select2({placeholder: texts.select, allowClear: true, theme: "bootstrap"});
            });
        });
    }
    // ab_actions.js calls ab_alert('No row selected') with the English text built in
    if (typeof window.ab_alert === "function") {
        var abAlert = window.ab_alert;
        window.ab_alert = function (text) {
            abAlert(text === "No row selected" ? texts.noRowSelected : text);
        };
    }
    if ($.fn.datepicker && texts.locale === "zh") {
        $.fn.datepicker.dates.zh = {
            days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
            daysShort: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
            daysMin: ["日", "一", "二", "三", "四", "五", "六"],
            months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
            monthsShort: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
            today: "今天",
            clear: "清除",
            format: "yyyy-mm-dd",
            titleFormat: "yyyy年mm月",
            weekStart: 1
        };
        $.fn.datepicker.defaults.language = "zh";
    }
})(jQuery);
