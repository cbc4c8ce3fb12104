namespace MmProxy.Diagnostics.Metrics;

/// <summary>
/// What the UDP data path reports to <see cref="ProxyMetrics"/>: read from its Interlocked
/// counters at scrape time (the UDP side wires a Func returning this).
/// </summary>
internal readonly record struct UdpMetricsSnapshot(
    long FlowsActive,
    long FlowsCreated,
    long FlowsExpired,
    long DatagramsToUpstream,
    long DatagramsToClient,
    long BytesToUpstream,
    long BytesToClient,
    IReadOnlyList<KeyValuePair<string, long>> DroppedByReason,
    IReadOnlyList<KeyValuePair<string, long>> ReceivedByHeader,
    long UpstreamUnreachable = 0,
    long ReplyFailures = 0);
