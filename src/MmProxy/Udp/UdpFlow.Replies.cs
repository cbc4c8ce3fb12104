using System.Buffers;
using System.Net.Sockets;
using MmProxy.Diagnostics;
using MmProxy.Interop;

namespace MmProxy.Udp;

/// <summary>
/// The reply path: wait for readability with a zero-byte peek (an idle flow holds no buffer), then
/// drain the connected socket without blocking into a pooled buffer and send each datagram, payload
/// only, to the load balancer from the flow's listening socket. ECONNREFUSED (an ICMP error for an
/// earlier send) is counted and the loop goes on: the flow keeps its reply path.
/// </summary>
internal sealed partial class UdpFlow
{
    /// <summary>Larger than any UDP payload (65,507 bytes over IPv4, 65,527 over IPv6).</summary>
    public const int MaxDatagramSize = 65536;

    // Datagrams taken per wake-up before yielding, so a chatty upstream does not hog a thread.
    private const int DrainBatch = 64;

    private async Task RunRepliesAsync()
    {
        // Off the listener's thread: creating a flow must not run its first reply inline.
        await Task.Yield();
        try
        {
            while (await WaitReadableAsync().ConfigureAwait(false))
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxDatagramSize);
                try
                {
                    if (!await DrainAsync(buffer).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed (expired or shutting down).
        }
#pragma warning disable CA1031 // A flow's reply loop must never take the process down; the flow still expires normally.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            UdpLog.ReplyLoopCrashed(_context.Log, new LoggedAddress(Key.Balancer), new LoggedAddress(Key.Client), ex);
        }
    }

    /// <summary>False when the flow is closed.</summary>
    private async ValueTask<bool> WaitReadableAsync()
    {
        while (true)
        {
            try
            {
                await _upstream.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek).ConfigureAwait(false);
                return true;
            }
            catch (SocketException ex) when (IsUnreachable(ex.SocketErrorCode) && !IsClosed)
            {
                OnUpstreamRefused();
            }
            catch (SocketException) when (IsClosed)
            {
                return false;
            }
            catch (SocketException ex)
            {
                // Unexpected but not fatal for the flow: note it and keep waiting.
                OnReplyFailed(DescribeError(ex.SocketErrorCode));
            }
        }
    }

    /// <summary>Takes up to a batch of replies; false when the flow is closed.</summary>
    private async ValueTask<bool> DrainAsync(byte[] buffer)
    {
        for (int i = 0; i < DrainBatch; i++)
        {
            int received = _upstream.Receive(buffer.AsSpan(0, MaxDatagramSize), SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                return true;
            }

            if (error != SocketError.Success)
            {
                if (IsClosed)
                {
                    return false;
                }

                if (IsUnreachable(error))
                {
                    OnUpstreamRefused();
                }
                else
                {
                    OnReplyFailed(DescribeError(error));
                }

                continue;
            }

            if (!TryTouch())
            {
                return false;
            }

            Interlocked.Increment(ref _toClient);
            try
            {
                // Synchronous on purpose: a datagram send does not wait for a peer, and every flow
                // replies through this one listener socket at once; SendToAsync's per-socket cached
                // event args raced under that (NullReferenceException inside SendToAsync, .NET 10.0.12).
                _listener.SendTo(buffer.AsSpan(0, received), SocketFlags.None, _balancer);
                _context.Counters.OnReply(received);
            }
            catch (SocketException ex)
            {
                OnReplyFailed(DescribeError(ex.SocketErrorCode));
            }
        }

        return true;
    }

    private void OnUpstreamRefused()
    {
        _context.Counters.OnUpstreamRefused();
        if (_context.RefusedLog.TryEnter(out long suppressed))
        {
            UdpLog.UpstreamRefused(_context.Log, Target, new LoggedAddress(Key.Client), suppressed);
        }
    }

    private void OnReplyFailed(string reason)
    {
        _context.Counters.OnReplyFailed();
        if (_context.ReplyLog.TryEnter(out long suppressed))
        {
            UdpLog.ReplyFailed(_context.Log, new LoggedAddress(Key.Balancer), new LoggedAddress(Key.Client), reason, suppressed);
        }
    }

    private static bool IsUnreachable(SocketError error) =>
        error is SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable;

    internal static string DescribeError(SocketError error)
    {
        int errno = Errno.FromSocketError(error);
        return errno != 0 ? Errno.Describe(errno) : error.ToString();
    }
}
