using MmProxy.ProxyProtocol;

namespace MmProxy.Diagnostics;

/// <summary>
/// Outcome counters, updated with Interlocked; read for logs and by the observable instruments of
/// <see cref="Metrics.ProxyMetrics"/> (so the hot path stays plain increments).
/// </summary>
internal sealed class ProxyCounters
{
    private readonly long[] _headerParseErrors = new long[byte.MaxValue + 1];
    private long _accepted;
    private long _active;
    private long _notAllowed;
    private long _headerInvalid;
    private long _headerTimedOut;
    private long _upstreamFailed;
    private long _completed;
    private long _reset;
    private long _acceptErrors;
    private long _upstreamRefused;
    private long _destinationRefused;
    private long _upstreamTimedOut;
    private long _headerTooLarge;
    private long _headerIncomplete;
    private long _bytesToUpstream;
    private long _bytesToClient;

    public long Accepted => Volatile.Read(ref _accepted);
    public long Active => Volatile.Read(ref _active);
    public long NotAllowed => Volatile.Read(ref _notAllowed);
    public long HeaderInvalid => Volatile.Read(ref _headerInvalid);
    public long HeaderTimedOut => Volatile.Read(ref _headerTimedOut);
    public long UpstreamFailed => Volatile.Read(ref _upstreamFailed);
    public long Completed => Volatile.Read(ref _completed);
    public long Reset => Volatile.Read(ref _reset);
    public long AcceptErrors => Volatile.Read(ref _acceptErrors);

    /// <summary>--dynamic-destination: the header's destination is not in --allowed-destinations (or is the proxy itself).</summary>
    public long DestinationRefused => Volatile.Read(ref _destinationRefused);

    /// <summary>Part of <see cref="UpstreamFailed"/>: RST to our SYN.</summary>
    public long UpstreamRefused => Volatile.Read(ref _upstreamRefused);

    /// <summary>Part of <see cref="UpstreamFailed"/>: no answer within --connect-timeout.</summary>
    public long UpstreamTimedOut => Volatile.Read(ref _upstreamTimedOut);

    /// <summary>Part of <see cref="HeaderInvalid"/>: no complete header within --max-header-size.</summary>
    public long HeaderTooLarge => Volatile.Read(ref _headerTooLarge);

    /// <summary>Part of <see cref="HeaderInvalid"/>: closed or reset before the header was complete.</summary>
    public long HeaderIncomplete => Volatile.Read(ref _headerIncomplete);

    /// <summary>Relayed bytes, counted when a connection ends.</summary>
    public long BytesToUpstream => Volatile.Read(ref _bytesToUpstream);

    public long BytesToClient => Volatile.Read(ref _bytesToClient);

    /// <summary>Part of <see cref="HeaderInvalid"/>: invalid headers by parser verdict.</summary>
    public long HeaderParseErrors(ProxyParseError error) => Volatile.Read(ref _headerParseErrors[(int)error]);

    /// <summary>Upstream connect durations; null until metrics are enabled (then recorded per connection).</summary>
    public System.Diagnostics.Metrics.Histogram<double>? UpstreamConnectDuration { get; set; }

    public void OnAccepted()
    {
        Interlocked.Increment(ref _accepted);
        Interlocked.Increment(ref _active);
    }

    public void OnClosed() => Interlocked.Decrement(ref _active);

    public void OnNotAllowed() => Interlocked.Increment(ref _notAllowed);

    public void OnDestinationRefused() => Interlocked.Increment(ref _destinationRefused);

    public void OnHeaderInvalid() => Interlocked.Increment(ref _headerInvalid);

    public void OnHeaderTimedOut() => Interlocked.Increment(ref _headerTimedOut);

    public void OnUpstreamFailed() => Interlocked.Increment(ref _upstreamFailed);

    public void OnCompleted() => Interlocked.Increment(ref _completed);

    public void OnReset() => Interlocked.Increment(ref _reset);

    public void OnAcceptError() => Interlocked.Increment(ref _acceptErrors);

    public void OnUpstreamRefused() => Interlocked.Increment(ref _upstreamRefused);

    public void OnUpstreamTimedOut() => Interlocked.Increment(ref _upstreamTimedOut);

    public void OnHeaderParseError(ProxyParseError error) => Interlocked.Increment(ref _headerParseErrors[(int)error]);

    public void OnHeaderTooLarge() => Interlocked.Increment(ref _headerTooLarge);

    public void OnHeaderIncomplete() => Interlocked.Increment(ref _headerIncomplete);

    public void OnUpstreamConnected(TimeSpan elapsed) => UpstreamConnectDuration?.Record(elapsed.TotalSeconds);

    public void OnRelayed(long toUpstream, long toClient)
    {
        Interlocked.Add(ref _bytesToUpstream, toUpstream);
        Interlocked.Add(ref _bytesToClient, toClient);
    }
}
