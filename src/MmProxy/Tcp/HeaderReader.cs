using System.Buffers;
using System.Net.Sockets;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tcp;

/// <summary>
/// Reads the PROXY header incrementally (it may arrive in pieces) into a small pooled buffer that
/// grows up to --max-header-size, under --header-timeout. Runs the stateless parser over all bytes
/// so far after every read. Reads may take bytes past the header; they are kept as the leftover.
/// </summary>
internal sealed class HeaderReader
{
    private const int InitialBufferSize = 512;

    private readonly ProxyHeaderParser _parser;
    private readonly int _maxHeaderSize;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    public HeaderReader(int maxHeaderSize, TimeSpan timeout, TimeProvider? time = null)
    {
        _parser = new ProxyHeaderParser(new ProxyHeaderParserOptions { MaxHeaderSize = maxHeaderSize });
        _maxHeaderSize = maxHeaderSize;
        _timeout = timeout;
        _time = time ?? TimeProvider.System;
    }

    public TimeSpan Timeout => _timeout;

    public async ValueTask<HeaderReadResult> ReadAsync(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        using var timeout = new CancellationTokenSource(_timeout, _time);
        try
        {
            // Wait for the first bytes without a buffer, so silent connections hold no memory.
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return new HeaderReadResult(HeaderReadStatus.TimedOut, ProxyParseError.None, default, null, 0, SocketError.TimedOut);
        }
        catch (SocketException ex)
        {
            return new HeaderReadResult(HeaderReadStatus.Failed, ProxyParseError.None, default, null, 0, ex.SocketErrorCode);
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferSize, _maxHeaderSize));
        int received = 0;
        try
        {
            while (true)
            {
                if (received == buffer.Length)
                {
                    buffer = Grow(buffer, received);
                }

                // Never read more than the limit allows, so a too-large header is caught exactly.
                int room = Math.Min(buffer.Length, _maxHeaderSize) - received;
                int n;
                try
                {
                    n = await socket.ReceiveAsync(buffer.AsMemory(received, room), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return Fail(ref buffer, HeaderReadStatus.TimedOut, received);
                }
                catch (SocketException ex)
                {
                    return Fail(ref buffer, HeaderReadStatus.Failed, received, ex.SocketErrorCode);
                }

                if (n == 0)
                {
                    return Fail(ref buffer, HeaderReadStatus.Closed, received);
                }

                received += n;
                ProxyParseResult parsed = _parser.Parse(buffer.AsSpan(0, received));
                switch (parsed.Status)
                {
                    case ProxyParseStatus.Complete:
                        var complete = new HeaderReadResult(HeaderReadStatus.Complete, ProxyParseError.None, parsed.Header, buffer, received, SocketError.Success);
                        buffer = null!;
                        return complete;
                    case ProxyParseStatus.Invalid:
                        return Fail(ref buffer, HeaderReadStatus.Invalid, received, error: parsed.Error);
                    default:
                        if (received >= _maxHeaderSize)
                        {
                            return Fail(ref buffer, HeaderReadStatus.TooLarge, received);
                        }

                        break;
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private byte[] Grow(byte[] buffer, int used)
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _maxHeaderSize));
        buffer.AsSpan(0, used).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    private static HeaderReadResult Fail(ref byte[] buffer, HeaderReadStatus status, int received, SocketError socketError = SocketError.Success, ProxyParseError error = ProxyParseError.None)
    {
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = null!;
        return new HeaderReadResult(status, error, default, null, received, socketError);
    }
}
