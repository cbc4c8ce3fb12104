namespace MmProxy.Diagnostics;

/// <summary>Outcome counters, updated with Interlocked; read for logs and (later) metrics.</summary>
internal sealed class ProxyCounters
{
    private long _accepted;
    private long _active;
    private long _notAllowed;
    private long _headerInvalid;
    private long _headerTimedOut;
    private long _upstreamFailed;
    private long _completed;
    private long _reset;
    private long _acceptErrors;

    public long Accepted => Volatile.Read(ref _accepted);
    public long Active => Volatile.Read(ref _active);
    public long NotAllowed => Volatile.Read(ref _notAllowed);
    public long HeaderInvalid => Volatile.Read(ref _headerInvalid);
    public long HeaderTimedOut => Volatile.Read(ref _headerTimedOut);
    public long UpstreamFailed => Volatile.Read(ref _upstreamFailed);
    public long Completed => Volatile.Read(ref _completed);
    public long Reset => Volatile.Read(ref _reset);
    public long AcceptErrors => Volatile.Read(ref _acceptErrors);

    public void OnAccepted()
    {
        Interlocked.Increment(ref _accepted);
        Interlocked.Increment(ref _active);
    }

    public void OnClosed() => Interlocked.Decrement(ref _active);

    public void OnNotAllowed() => Interlocked.Increment(ref _notAllowed);

    public void OnHeaderInvalid() => Interlocked.Increment(ref _headerInvalid);

    public void OnHeaderTimedOut() => Interlocked.Increment(ref _headerTimedOut);

    public void OnUpstreamFailed() => Interlocked.Increment(ref _upstreamFailed);

    public void OnCompleted() => Interlocked.Increment(ref _completed);

    public void OnReset() => Interlocked.Increment(ref _reset);

    public void OnAcceptError() => Interlocked.Increment(ref _acceptErrors);
}
