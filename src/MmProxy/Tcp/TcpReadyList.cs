namespace MmProxy.Tcp;

/// <summary>
/// Connections that still had bytes to move after their rounds of the relay: they run again after
/// the loop's next (non-blocking) epoll batch, so one busy connection cannot starve the others.
/// Entries carry the generation they were added under; a connection closed (or reused) since is skipped.
/// </summary>
internal sealed class TcpReadyList
{
    private List<(TcpConnection Connection, uint Generation)> _next = [];
    private List<(TcpConnection Connection, uint Generation)> _running = [];

    /// <summary>Work is waiting: the loop must not sleep.</summary>
    public bool HasWork => _next.Count > 0;

    public void Add(TcpConnection c) => _next.Add((c, c.Generation));

    /// <summary>Runs <paramref name="pump"/> for every connection added before this call that is still relaying.</summary>
    public void Run(Action<TcpConnection> pump)
    {
        if (_next.Count == 0)
        {
            return;
        }

        // Swap: connections that stay ready are added to the other list and run next time.
        List<(TcpConnection Connection, uint Generation)> batch = _next;
        _next = _running;
        _running = batch;
        foreach ((TcpConnection c, uint generation) in batch)
        {
            if (c.Generation == generation && c.Phase == TcpPhase.Relaying)
            {
                pump(c);
            }
        }

        batch.Clear();
    }
}
