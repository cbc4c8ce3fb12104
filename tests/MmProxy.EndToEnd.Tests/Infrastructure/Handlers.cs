using System.Net.Sockets;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>Stock upstream behaviours.</summary>
internal static class Handlers
{
    /// <summary>Echoes everything; on end of stream shuts its write side and closes.</summary>
    public static Task Echo(UpstreamConnection c) => EchoThen(c, ReadOnlyMemory<byte>.Empty);

    /// <summary>Echoes everything; on end of stream writes <paramref name="trailer"/> (data on the half-closed direction), then shuts its write side and closes.</summary>
    public static async Task EchoThen(UpstreamConnection c, ReadOnlyMemory<byte> trailer)
    {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        while (true)
        {
            int n;
            try
            {
                n = await c.Socket.ReceiveAsync(buffer, SocketFlags.None);
            }
            catch (SocketException e)
            {
                c.Received = new ReceiveResult(total, "", e.SocketErrorCode == SocketError.ConnectionReset ? StreamEnd.Reset : StreamEnd.Error, e.SocketErrorCode.ToString());
                c.Socket.Dispose();
                return;
            }
            if (n == 0)
            {
                break;
            }
            total += n;
            await Streams.SendAllAsync(c.Socket, buffer.AsMemory(0, n));
        }
        c.Received = new ReceiveResult(total, "", StreamEnd.Eof, null);
        if (!trailer.IsEmpty)
        {
            await Streams.SendAllAsync(c.Socket, trailer);
        }

        c.Socket.Shutdown(SocketShutdown.Send);
        c.Socket.Dispose();
    }

    /// <summary>Reads to end of stream (hashing), then closes.</summary>
    public static async Task Sink(UpstreamConnection c)
    {
        c.Received = await Streams.ReceiveAsync(c.Socket);
        c.Socket.Dispose();
    }

    /// <summary>Reads to end of stream, then sends <paramref name="length"/> pattern bytes and closes.</summary>
    public static Func<UpstreamConnection, Task> SinkThenSend(long length) => async c =>
    {
        c.Received = await Streams.ReceiveAsync(c.Socket);
        await Streams.SendPatternAsync(c.Socket, length);
        c.Socket.Shutdown(SocketShutdown.Send);
        c.Socket.Dispose();
    };

    /// <summary>Holds the connection open and does nothing (the test drives the socket).</summary>
    public static Task Idle(UpstreamConnection c) => Task.CompletedTask;
}
