using System.Text;

namespace MmProxy.Diagnostics.Metrics;

/// <summary>
/// The whole HTTP surface, as a pure function from request head to response: GET/HEAD /metrics
/// (Prometheus text) and /healthz (200 once every listener is bound, 503 before and while stopping).
/// </summary>
internal sealed class MetricsRequestRouter
{
    public const string PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";
    private const string TextContentType = "text/plain; charset=utf-8";

    private readonly Func<string> _metrics;
    private readonly Func<bool> _healthy;

    public MetricsRequestRouter(Func<string> metrics, Func<bool> healthy)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(healthy);
        _metrics = metrics;
        _healthy = healthy;
    }

    /// <param name="head">The request line and headers (ASCII), without the final blank line.</param>
    public HttpResponse Route(string head)
    {
        ArgumentNullException.ThrowIfNull(head);
        int lineEnd = head.IndexOf('\n', StringComparison.Ordinal);
        string requestLine = (lineEnd < 0 ? head : head[..lineEnd]).TrimEnd('\r');
        string[] parts = requestLine.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || parts[1].Length == 0 || parts[1][0] != '/')
        {
            return new HttpResponse(400, "Bad Request", TextContentType, "bad request\n");
        }

        bool head_ = parts[0] == "HEAD";
        if (parts[0] != "GET" && !head_)
        {
            return new HttpResponse(405, "Method Not Allowed", TextContentType, "only GET and HEAD\n", Allow: "GET, HEAD");
        }

        string path = parts[1];
        int query = path.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            path = path[..query];
        }

        return path switch
        {
            "/metrics" => new HttpResponse(200, "OK", PrometheusContentType, _metrics(), head_),
            "/healthz" => _healthy()
                ? new HttpResponse(200, "OK", TextContentType, "ok\n", head_)
                : new HttpResponse(503, "Service Unavailable", TextContentType, "not ready: listeners are not bound\n", head_),
            "/" => new HttpResponse(200, "OK", TextContentType, "mmproxy: /metrics (Prometheus), /healthz\n", head_),
            _ => new HttpResponse(404, "Not Found", TextContentType, "not found: try /metrics or /healthz\n", head_),
        };
    }

    public static byte[] Serialize(HttpResponse response)
    {
        byte[] body = Encoding.UTF8.GetBytes(response.Body);
        var head = new StringBuilder(256);
        head.Append("HTTP/1.1 ").Append(response.Status).Append(' ').Append(response.Reason).Append("\r\n")
            .Append("Content-Type: ").Append(response.ContentType).Append("\r\n")
            .Append("Content-Length: ").Append(body.Length).Append("\r\n")
            .Append("Cache-Control: no-store\r\n")
            .Append("Connection: close\r\n");
        if (response.Allow is not null)
        {
            head.Append("Allow: ").Append(response.Allow).Append("\r\n");
        }

        head.Append("\r\n");
        byte[] headBytes = Encoding.ASCII.GetBytes(head.ToString());
        return response.HeadOnly ? headBytes : [.. headBytes, .. body];
    }
}
