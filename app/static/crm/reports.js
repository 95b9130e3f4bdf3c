// Report charts: each .crm-chart names a <script type="application/json"> holding a plotly
// figure (built server-side with plotly.graph_objects). A click on a bar / slice / point opens
// the list behind it: the URL is the point's customdata (or its first element).
(function () {
    function linkOf(point) {
        var data = point.customdata;
        if (Array.isArray(data)) { data = data[0]; }
        return typeof data === "string" && data.charAt(0) === "/" ? data : null;
    }

    function draw(elem) {
        var source = document.getElementById(elem.getAttribute("data-figure"));
        if (!source || !window.Plotly) { return; }
        var fig = JSON.parse(source.textContent);
        var config = {responsive: true, displayModeBar: false,
                      locale: document.documentElement.lang || "zh"};
        window.Plotly.newPlot(elem, fig.data, fig.layout, config).then(function () {
            elem.setAttribute("data-drawn", "1");
        });
        elem.on("plotly_click", function (event) {
            var url = event.points && event.points.length ? linkOf(event.points[0]) : null;
            if (url) { window.location.href = url; }
        });
    }

    document.addEventListener("DOMContentLoaded", function () {
        var charts = document.querySelectorAll(".crm-chart");
        for (var i = 0; i < charts.length; i++) { draw(charts[i]); }
    });
}());
