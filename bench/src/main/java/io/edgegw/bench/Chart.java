package io.edgegw.bench;

import java.util.List;
import java.util.Locale;

/**
 * The benchmark's own SVG chart, built as a string: delivered/s (solid, left axis, linear) and p99 latency (dashed,
 * right axis, logarithmic) against offered deliveries/s, one colour per server, with the line delivered = offered.
 */
final class Chart {

    /** One server's medians per offered rate. */
    record Series(String label, String colour, List<double[]> points) {   // {offered, delivered, p99 ms}
    }

    private static final int W = 900;
    private static final int H = 520;
    private static final int LEFT = 90;
    private static final int RIGHT = 80;
    private static final int TOP = 60;
    private static final int BOTTOM = 70;

    static String render(String title, String subtitle, List<Series> series) {
        double maxX = 1;
        double maxY = 1;
        double maxP = 1;
        double minP = 1;
        for (Series s : series) {
            for (double[] p : s.points()) {
                maxX = Math.max(maxX, p[0]);
                maxY = Math.max(maxY, Math.max(p[0], p[1]));
                maxP = Math.max(maxP, p[2]);
                minP = Math.min(minP, p[2]);
            }
        }
        maxX = nice(maxX);
        maxY = nice(maxY);
        double logMin = Math.floor(Math.log10(Math.max(0.01, minP)));
        double logMax = Math.ceil(Math.log10(Math.max(maxP, Math.pow(10, logMin + 1))));
        double pw = W - LEFT - RIGHT;
        double ph = H - TOP - BOTTOM;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H, W, H));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        text(svg, W / 2.0, 24, "middle", 16, "bold", title);
        text(svg, W / 2.0, 42, "middle", 12, "normal", subtitle);
        // grid and axes
        for (int i = 0; i <= 5; i++) {
            double x = LEFT + pw * i / 5;
            double y = TOP + ph - ph * i / 5;
            line(svg, LEFT, y, LEFT + pw, y, "#e6e6e6", 1, null);
            line(svg, x, TOP, x, TOP + ph, "#f0f0f0", 1, null);
            text(svg, x, TOP + ph + 18, "middle", 11, "normal", human(maxX * i / 5));
            text(svg, LEFT - 8, y + 4, "end", 11, "normal", human(maxY * i / 5));
        }
        for (double e = logMin; e <= logMax; e++) {
            double y = TOP + ph - ph * (e - logMin) / (logMax - logMin);
            text(svg, LEFT + pw + 8, y + 4, "start", 11, "normal", latency(Math.pow(10, e)));
            line(svg, LEFT + pw, y, LEFT + pw + 4, y, "#333", 1, null);
        }
        line(svg, LEFT, TOP + ph, LEFT + pw, TOP + ph, "#333", 1, null);
        line(svg, LEFT, TOP, LEFT, TOP + ph, "#333", 1, null);
        line(svg, LEFT + pw, TOP, LEFT + pw, TOP + ph, "#333", 1, null);
        text(svg, LEFT + pw / 2, H - 30, "middle", 12, "normal", "offered deliveries per second");
        svg.append(String.format(Locale.ROOT, "<text x=\"20\" y=\"%.1f\" text-anchor=\"middle\" "
                        + "transform=\"rotate(-90 20 %.1f)\">delivered per second (solid)</text>%n",
                TOP + ph / 2, TOP + ph / 2));
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                        + "transform=\"rotate(90 %.1f %.1f)\">p99 latency, log scale (dashed)</text>%n",
                W - 18.0, TOP + ph / 2, W - 18.0, TOP + ph / 2));
        // ideal: delivered = offered
        double idealEnd = Math.min(maxX, maxY);
        line(svg, LEFT, TOP + ph, LEFT + pw * idealEnd / maxX, TOP + ph - ph * idealEnd / maxY, "#999", 1, "2,4");
        int legendY = TOP + 10;
        for (Series s : series) {
            StringBuilder delivered = new StringBuilder();
            StringBuilder p99 = new StringBuilder();
            for (double[] p : s.points()) {
                double x = LEFT + pw * p[0] / maxX;
                double yd = TOP + ph - ph * p[1] / maxY;
                double logP99 = Math.log10(Math.max(p[2], Math.pow(10, logMin)));
                double yp = TOP + ph - ph * (logP99 - logMin) / (logMax - logMin);
                delivered.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, yd));
                p99.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, yp));
                svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>%n",
                        x, yd, s.colour()));
                svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"6\" height=\"6\" "
                        + "fill=\"white\" stroke=\"%s\"/>%n", x - 3, yp - 3, s.colour()));
            }
            svg.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
                    + "stroke-width=\"2.5\"/>%n", delivered.toString().trim(), s.colour()));
            svg.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
                    + "stroke-width=\"1.8\" stroke-dasharray=\"7,4\"/>%n", p99.toString().trim(), s.colour()));
            line(svg, LEFT + 14, legendY, LEFT + 44, legendY, s.colour(), 2.5, null);
            line(svg, LEFT + 50, legendY, LEFT + 80, legendY, s.colour(), 1.8, "7,4");
            text(svg, LEFT + 88, legendY + 4, "start", 12, "normal", s.label() + ": delivered/s, p99");
            legendY += 18;
        }
        line(svg, LEFT + 14, legendY, LEFT + 80, legendY, "#999", 1, "2,4");
        text(svg, LEFT + 88, legendY + 4, "start", 12, "normal", "delivered = offered");
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static void line(StringBuilder svg, double x1, double y1, double x2, double y2, String colour,
                             double width, String dash) {
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                        + "stroke-width=\"%.1f\"%s/>%n", x1, y1, x2, y2, colour, width,
                dash == null ? "" : " stroke-dasharray=\"" + dash + "\""));
    }

    private static void text(StringBuilder svg, double x, double y, String anchor, int size, String weight,
                             String content) {
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" "
                + "font-weight=\"%s\">%s</text>%n", x, y, anchor, size, weight, escape(content)));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** 1, 2, 2.5 or 5 times a power of ten, at least {@code v}. */
    private static double nice(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    static String human(double v) {
        if (v >= 1e6) {
            return trim(v / 1e6) + "M";
        }
        if (v >= 1e3) {
            return trim(v / 1e3) + "k";
        }
        return trim(v);
    }

    private static String latency(double ms) {
        if (ms >= 1000) {
            return trim(ms / 1000) + " s";
        }
        return trim(ms) + " ms";
    }

    private static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.2f", v);
        return s.replaceAll("\\.?0+$", "");
    }
}
