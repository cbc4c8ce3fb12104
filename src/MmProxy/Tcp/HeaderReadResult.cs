using System.Buffers;
using System.Net.Sockets;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tcp;

/// <summary>
/// The outcome of reading a PROXY header. On <see cref="HeaderReadStatus.Complete"/> it holds the
/// header and the pooled buffer with any bytes that followed it (<see cref="Leftover"/>); the owner
/// must call <see cref="ReturnBuffer"/> once the leftover is forwarded.
/// </summary>
internal struct HeaderReadResult
{
    private byte[]? _buffer;

    internal HeaderReadResult(HeaderReadStatus status, ProxyParseError error, ProxyHeader header, byte[]? buffer, int received, SocketError socketError)
    {
        Status = status;
        Error = error;
        Header = header;
        _buffer = buffer;
        Received = received;
        SocketError = socketError;
    }

    public HeaderReadStatus Status { get; }

    public ProxyParseError Error { get; }

    public ProxyHeader Header { get; }

    /// <summary>Bytes received in total (header and leftover).</summary>
    public int Received { get; }

    public SocketError SocketError { get; }

    /// <summary>Bytes that arrived after the header: forwarded upstream first, untouched.</summary>
    public readonly ReadOnlyMemory<byte> Leftover =>
        _buffer is null ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(Header.Length, Received - Header.Length);

    public void ReturnBuffer()
    {
        byte[]? buffer = _buffer;
        _buffer = null;
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
