namespace MmProxy.Tcp.EventLoop;

/// <summary>
/// A link in one <see cref="DeadlineQueue"/> (intrusive: no allocation per enqueue). Each pooled
/// connection owns its nodes for life; a node is in at most one queue at a time.
/// </summary>
internal sealed class DeadlineNode(TcpLoopConnection? owner)
{
    public TcpLoopConnection? Owner { get; } = owner;

    /// <summary>Milliseconds on the loop's clock (Environment.TickCount64).</summary>
    public long Deadline { get; internal set; }

    public bool IsQueued => Queue is not null;

    internal DeadlineQueue? Queue { get; set; }

    internal DeadlineNode? Previous { get; set; }

    internal DeadlineNode? Next { get; set; }
}
