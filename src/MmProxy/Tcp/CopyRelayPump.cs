using System.Buffers;
using System.Net.Sockets;

namespace MmProxy.Tcp;

/// <summary>
/// Copies through a pooled buffer. Waits with a zero-byte receive and rents the buffer only once
/// data is ready, returning it when a read does not fill it, so idle connections hold no memory.
/// No allocation per read.
/// </summary>
internal sealed class CopyRelayPump : RelayPump
{
    public const int BufferSize = 64 * 1024;

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
                        buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
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
                    return ShutdownDestination(destination, relay);
                }

                relay.OnReceived(direction, received);
                PumpResult? sendFailure = await SendAllAsync(destination, buffer.AsMemory(0, received), relay).ConfigureAwait(false);
                if (sendFailure is { } failure)
                {
                    return failure;
                }

                if (received < buffer.Length)
                {
                    // Drained for now: give the buffer back before waiting again.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
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

    internal static async ValueTask<PumpResult?> SendAllAsync(Socket destination, ReadOnlyMemory<byte> data, TcpRelay relay)
    {
        try
        {
            while (!data.IsEmpty)
            {
                int sent = await destination.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
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
