using System.Buffers;
using MmProxy.Diagnostics;
using MmProxy.Interop;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tcp;

/// <summary>
/// The second phase, the PROXY header: read as soon as the connection is accepted (it usually came
/// with the handshake) and parsed from the loop's scratch buffer; only a header that arrives in
/// pieces gets a rented buffer, grown up to --max-header-size. Never reads past the limit, so a
/// too-large header is caught exactly. Bytes after the header are kept for the upstream (sent first).
/// </summary>
internal sealed class TcpHeaderReader : ITcpConnectionStart
{
    private const int InitialHeaderBuffer = 512;

    private readonly TcpLoopContext _context;
    private readonly TcpConnector _connector;
    private readonly ProxyHeaderParser _parser;
    private readonly int _maxHeaderSize;

    public TcpHeaderReader(TcpLoopContext context, TcpConnector connector)
    {
        _context = context;
        _connector = connector;
        _maxHeaderSize = context.Options.MaxHeaderSize;
        _parser = new ProxyHeaderParser(new ProxyHeaderParserOptions { MaxHeaderSize = _maxHeaderSize });
    }

    public void Start(TcpConnection c)
    {
        c.Phase = TcpPhase.Header;
        _context.Timeouts.StartHeader(c);
        OnReadable(c);
    }

    public void OnReadable(TcpConnection c)
    {
        byte[]? buffer = c.HeaderBuffer;
        int received = c.HeaderReceived;
        SysResult n;
        if (buffer is null)
        {
            n = RawSocket.Receive(c.ClientFd, _context.Scratch.AsSpan(0, Math.Min(_maxHeaderSize, TcpLoopContext.ScratchSize)));
        }
        else
        {
            if (received == buffer.Length)
            {
                byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _maxHeaderSize));
                buffer.AsSpan(0, received).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                c.HeaderBuffer = buffer = larger;
            }

            n = RawSocket.Receive(c.ClientFd, buffer.AsSpan(received, Math.Min(buffer.Length, _maxHeaderSize) - received));
        }

        if (!n.Succeeded)
        {
            if (n.Error.IsTransient())
            {
                _context.Pool.SetInterest(c, upstream: false, EpollFlags.In);
                return;
            }

            Fail(c, HeaderReadStatus.Failed, ProxyParseError.None);
            return;
        }

        if (n.Value == 0)
        {
            Fail(c, HeaderReadStatus.Closed, ProxyParseError.None);
            return;
        }

        received += (int)n.Value;
        c.HeaderReceived = received;
        ReadOnlySpan<byte> bytes = buffer is null ? _context.Scratch.AsSpan(0, received) : buffer.AsSpan(0, received);
        ProxyParseResult parsed = _parser.Parse(bytes);
        switch (parsed.Status)
        {
            case ProxyParseStatus.Complete:
                Complete(c, parsed.Header, bytes[parsed.Header.Length..]);
                return;
            case ProxyParseStatus.Invalid:
                Fail(c, HeaderReadStatus.Invalid, parsed.Error);
                return;
            default:
                if (received >= _maxHeaderSize)
                {
                    Fail(c, HeaderReadStatus.TooLarge, ProxyParseError.None);
                    return;
                }

                if (buffer is null)
                {
                    // In pieces: keep what came so far.
                    buffer = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(InitialHeaderBuffer, received * 2), _maxHeaderSize));
                    bytes.CopyTo(buffer);
                    c.HeaderBuffer = buffer;
                }

                _context.Pool.SetInterest(c, upstream: false, EpollFlags.In);
                return;
        }
    }

    /// <summary>--header-timeout came due.</summary>
    public void TimedOut(TcpConnection c) => Fail(c, HeaderReadStatus.TimedOut, ProxyParseError.None);

    private void Complete(TcpConnection c, in ProxyHeader header, ReadOnlySpan<byte> leftover)
    {
        c.PhaseDeadline.Cancel();
        ConnectionLog.HeaderParsed(_context.Log, c.Peer, (int)header.Version, header.Command, header.Family,
            new LoggedAddress(header.Source), new LoggedAddress(header.Destination));
        if (!leftover.IsEmpty)
        {
            // Sent to the upstream first, once connected.
            byte[] pending = ArrayPool<byte>.Shared.Rent(leftover.Length);
            leftover.CopyTo(pending);
            c.ToUpstream.Pending = pending;
            c.ToUpstream.PendingOffset = 0;
            c.ToUpstream.PendingCount = leftover.Length;
            c.ToUpstream.Bytes = leftover.Length;
        }

        if (c.HeaderBuffer is { } buffer)
        {
            c.HeaderBuffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }

        c.Source = header.Source;
        c.Destination = header.Destination;
        c.ClientEndPoint = header.HasClientAddress ? header.Source.ToIPEndPoint() : null;
        _connector.Start(c);
    }

    private void Fail(TcpConnection c, HeaderReadStatus status, ProxyParseError error)
    {
        bool reset = TcpOutcomes.HeaderFailed(_context, c, status, error);
        _context.Pool.Close(c, reset);
    }
}
