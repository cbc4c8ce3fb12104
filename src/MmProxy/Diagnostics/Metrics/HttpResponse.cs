namespace MmProxy.Diagnostics.Metrics;

/// <summary>A complete HTTP/1.1 response of <see cref="MetricsEndpoint"/>.</summary>
internal readonly record struct HttpResponse(int Status, string Reason, string ContentType, string Body, bool HeadOnly = false, string? Allow = null);
