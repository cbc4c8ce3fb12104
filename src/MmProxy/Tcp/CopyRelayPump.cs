using System.Buffers;
using System.Net.Sockets;
using MmProxy.Interop;

namespace MmProxy.Tcp;

/// <summary>
/// Copies through a pooled buffer. Waits with a zero-byte receive and rents the buffer only once
/// data is ready, returning it when a read does not fill it, so idle connections hold no memory.
/// No allocation per read (also in Debug builds, where async state machines are classes).
/// </summary>
internal sealed class CopyRelayPump : RelayPump
{
    public const int BufferSize = 64 * 1024;

    private readonly ArrayPool<byte> _pool;

    /// <param name="pool">Where buffers come from; the shared pool by default.</param>
    public CopyRelayPump(ArrayPool<byte>? pool = null) => _pool = pool ?? ArrayPool<byte>.Shared;

    public static CopyRelayPump Instance { get; } = new();

    public override async ValueTask<PumpResult> RunAsync(Socket source, Socket destination, RelayDirection direction, TcpRelay relay)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(relay);
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                int received;
                try
                {
                    if (buffer is null)
                    {
                        await source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                        buffer = _pool.Rent(BufferSize);
                    }

                    received = await source.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                }
                catch (SocketException ex)
                {
                    return relay.IsAborted ? PumpResult.Aborted : new PumpResult(PumpOutcome.SourceFailed, ex.SocketErrorCode);
                }
                catch (ObjectDisposedException)
                {
                    return PumpResult.Aborted;
                }

                if (received == 0)
                {
                    return SourceEnded(source, destination, direction, relay);
                }

                relay.OnReceived(direction, received);
                ValueTask<int> sending;
                try
                {
                    sending = destination.SendAsync(buffer.AsMemory(0, received), SocketFlags.None);
                }
                catch (ObjectDisposedException)
                {
                    return PumpResult.Aborted;
                }

                // The common case (all sent at once) stays in this method: no other state machine.
                if (!sending.IsCompletedSuccessfully || sending.Result != received)
                {
                    PumpResult? sendFailure = await FinishSendAsync(destination, sending, buffer.AsMemory(0, received), relay).ConfigureAwait(false);
                    if (sendFailure is { } failure)
                    {
                        return failure;
                    }
                }

                if (received < buffer.Length)
                {
                    // Drained for now: give the buffer back before waiting again.
                    _pool.Return(buffer);
                    buffer = null;
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                _pool.Return(buffer);
            }
        }
    }

    /// <summary>Sends all of <paramref name="data"/>; null when done, else how it failed.</summary>
    internal static ValueTask<PumpResult?> SendAllAsync(Socket destination, ReadOnlyMemory<byte> data, TcpRelay relay)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ValueTask<int> sending;
        try
        {
            sending = destination.SendAsync(data, SocketFlags.None);
        }
        catch (ObjectDisposedException)
        {
            return ValueTask.FromResult<PumpResult?>(PumpResult.Aborted);
        }

        return FinishSendAsync(destination, sending, data, relay);
    }

    /// <summary>Completes a send already started as <paramref name="pending"/>, then sends the rest.</summary>
    private static async ValueTask<PumpResult?> FinishSendAsync(Socket destination, ValueTask<int> pending, ReadOnlyMemory<byte> data, TcpRelay relay)
    {
        try
        {
            int sent = await pending.ConfigureAwait(false);
            data = data[sent..];
            while (!data.IsEmpty)
            {
                sent = await destination.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
                data = data[sent..];
            }

            return null;
        }
        catch (SocketException ex)
        {
            return relay.IsAborted ? PumpResult.Aborted : new PumpResult(PumpOutcome.DestinationFailed, ex.SocketErrorCode);
        }
        catch (ObjectDisposedException)
        {
            return PumpResult.Aborted;
        }
    }

    /// <summary>
    /// A read returned 0: FIN, passed on as shutdown(SHUT_WR); unless the peer reset and a write on
    /// the same socket (the other direction's) already consumed the error, after which reads return
    /// 0 too. The socket is then in TCP_CLOSE, which a FIN cannot cause while our own sending side
    /// is still open. Shared by every pump: a reset must never reach the other side as a clean FIN.
    /// </summary>
    internal static PumpResult SourceEnded(Socket source, Socket destination, RelayDirection direction, TcpRelay relay)
    {
        RelayDirection opposite = direction == RelayDirection.ToUpstream ? RelayDirection.ToClient : RelayDirection.ToUpstream;
        if (!relay.HasPassedOnFin(opposite) && SpliceTcpState.Get(source) == SpliceTcpState.Close)
        {
            return relay.IsAborted ? PumpResult.Aborted : new PumpResult(PumpOutcome.SourceFailed, SocketError.ConnectionReset);
        }

        relay.OnPassingOnFin(direction);
        return ShutdownDestination(destination, relay);
    }

    internal static PumpResult ShutdownDestination(Socket destination, TcpRelay relay)
    {
        try
        {
            destination.Shutdown(SocketShutdown.Send);
            return PumpResult.Completed;
        }
        catch (SocketException ex)
        {
            return relay.IsAborted ? PumpResult.Aborted : new PumpResult(PumpOutcome.DestinationFailed, ex.SocketErrorCode);
        }
        catch (ObjectDisposedException)
        {
            return PumpResult.Aborted;
        }
    }
}
