using System.Buffers;
using System.Runtime.InteropServices;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Interop;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tcp.EventLoop;

/// <summary>
/// The PROXY header: read as soon as the connection is accepted (it usually came with the
/// handshake), parsed from the loop's scratch buffer; only a header that arrives in pieces gets a
/// rented buffer, grown up to --max-header-size. Never reads past the limit, so a too-large header
/// is caught exactly. Bytes after the header are kept for the upstream (sent first).
/// </summary>
internal sealed unsafe partial class TcpEventLoop
{
    private const int InitialHeaderBuffer = 512;

    private ProxyHeaderParser _parser = null!;
    private int _maxHeaderSize;
    private TimeSpan _headerTimeout;

    private void InitializeHeader(ProxyOptions options)
    {
        _maxHeaderSize = options.MaxHeaderSize;
        _headerTimeout = options.HeaderTimeout;
        _parser = CreateParser(options.MaxHeaderSize);
    }

    private void StartHeader(TcpLoopConnection c)
    {
        c.Phase = TcpLoopPhase.Header;
        _headerQueue.Enqueue(c.PhaseDeadline, _now + (long)_headerTimeout.TotalMilliseconds);
        OnHeaderReadable(c);
    }

    private void OnHeaderReadable(TcpLoopConnection c)
    {
        byte[]? buffer = c.HeaderBuffer;
        int received = c.HeaderReceived;
        nint n;
        if (buffer is null)
        {
            n = SocketNativeMethods.Recv(c.ClientFd, _scratch, (nuint)Math.Min(_maxHeaderSize, ScratchSize), 0);
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

            int room = Math.Min(buffer.Length, _maxHeaderSize) - received;
            fixed (byte* p = buffer)
            {
                n = SocketNativeMethods.Recv(c.ClientFd, p + received, (nuint)room, 0);
            }
        }

        if (n < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is Errno.EAGAIN or Errno.EINTR)
            {
                SetInterest(c, upstream: false, EpollFlags.In);
                return;
            }

            HeaderFailed(c, HeaderReadStatus.Failed, ProxyParseError.None, received);
            return;
        }

        if (n == 0)
        {
            HeaderFailed(c, HeaderReadStatus.Closed, ProxyParseError.None, received);
            return;
        }

        received += (int)n;
        c.HeaderReceived = received;
        ReadOnlySpan<byte> bytes = buffer is null ? new ReadOnlySpan<byte>(_scratch, received) : buffer.AsSpan(0, received);
        ProxyParseResult parsed = _parser.Parse(bytes);
        switch (parsed.Status)
        {
            case ProxyParseStatus.Complete:
                OnHeaderComplete(c, parsed.Header, bytes[parsed.Header.Length..]);
                return;
            case ProxyParseStatus.Invalid:
                HeaderFailed(c, HeaderReadStatus.Invalid, parsed.Error, received);
                return;
            default:
                if (received >= _maxHeaderSize)
                {
                    HeaderFailed(c, HeaderReadStatus.TooLarge, ProxyParseError.None, received);
                    return;
                }

                if (buffer is null)
                {
                    // In pieces: keep what came so far.
                    buffer = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(InitialHeaderBuffer, received * 2), _maxHeaderSize));
                    bytes.CopyTo(buffer);
                    c.HeaderBuffer = buffer;
                }

                SetInterest(c, upstream: false, EpollFlags.In);
                return;
        }
    }

    private void OnHeaderComplete(TcpLoopConnection c, in ProxyHeader header, ReadOnlySpan<byte> leftover)
    {
        _headerQueue.Remove(c.PhaseDeadline);
        ConnectionLog.HeaderParsed(_log, c.Peer, (int)header.Version, header.Command, header.Family,
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
        c.ClientEndPoint = header.HasClientAddress ? header.Source.ToIPEndPoint() : null;
        StartConnect(c);
    }

    private void HeaderFailed(TcpLoopConnection c, HeaderReadStatus status, ProxyParseError error, int received)
    {
        bool reset = TcpConnectionHandler.ReportHeaderFailure(_counters, _log, c.Peer, status, error, received, _headerTimeout);
        Recycle(c, reset);
    }
}
