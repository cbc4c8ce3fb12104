using MmProxy.Interop;

namespace MmProxy.Tcp;

/// <summary>
/// One relay direction of a connection. Bytes the destination could not take are parked
/// here (a pooled array, or the splice pipe that holds them) and the source is not read until
/// they are gone: backpressure without losing a byte.
/// </summary>
internal sealed class TcpDirection
{
    public TcpDirection(RelayDirection direction) => Direction = direction;

    public RelayDirection Direction { get; }

    /// <summary>The source's FIN was passed on (shutdown(SHUT_WR) of the destination).</summary>
    public bool Done { get; set; }

    /// <summary>The last read filled the copy threshold: splice until a burst is small again.</summary>
    public bool Bulk { get; set; }

    /// <summary>Bytes read from the source (relayed or parked).</summary>
    public long Bytes { get; set; }

    /// <summary>Parked bytes in user space (rented), from <see cref="PendingOffset"/>.</summary>
    public byte[]? Pending { get; set; }

    public int PendingOffset { get; set; }

    public int PendingCount { get; set; }

    /// <summary>The pipe in use and the bytes it still holds for the destination.</summary>
    public SplicePipe? Pipe { get; set; }

    public int PipeCount { get; set; }

    public bool Parked => PendingCount > 0 || PipeCount > 0;

    /// <summary>Edge-triggered readiness of the source (set by EPOLLIN, cleared by EAGAIN).</summary>
    public bool SourceReadable { get; set; }

    /// <summary>Edge-triggered readiness of the destination (set by EPOLLOUT, cleared by EAGAIN).</summary>
    public bool DestinationWritable { get; set; }

    /// <summary>An event for the source reported EPOLLRDHUP/HUP/ERR: read it until 0 or an error.</summary>
    public bool SourceHungUp { get; set; }

    public void Reset()
    {
        Done = false;
        Bulk = false;
        SourceHungUp = false;
        Bytes = 0;
        Pending = null;
        PendingOffset = 0;
        PendingCount = 0;
        Pipe = null;
        PipeCount = 0;
        SourceReadable = false;
        DestinationWritable = false;
    }
}
