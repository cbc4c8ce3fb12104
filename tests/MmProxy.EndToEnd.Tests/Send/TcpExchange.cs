using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>
/// The TCP exchange the send tests run through every chain: the client streams a pattern, shuts
/// down its write side, and must still get the whole echo plus a trailer the upstream writes only
/// after it saw that end of stream (so the half-closed direction is proven to carry data).
/// </summary>
internal static class TcpExchange
{
    public const int Length = (256 * 1024) + 13;

    public static readonly byte[] Trailer = Encoding.ASCII.GetBytes("trailer after the client's FIN\n");

    /// <summary>Upstream side: echo to end of stream, then the trailer, then FIN.</summary>
    public static Task EchoThenTrailer(UpstreamConnection c) => Handlers.EchoThen(c, Trailer);

    /// <summary>Client side: the pattern out, FIN, then every echoed byte and the trailer, then end of stream.</summary>
    public static async Task RunAsync(Socket client, int length = Length)
    {
        Task<byte[]> echoed = ReadToEndAsync(client);
        await Streams.SendAllAsync(client, Streams.Pattern(length));
        client.Shutdown(SocketShutdown.Send);
        byte[] received = await echoed;
        Assert.Equal(length + Trailer.Length, received.Length);
        Assert.True(received.AsSpan(0, length).SequenceEqual(Streams.Pattern(length)), "the echo differs from what was sent");
        Assert.Equal(Encoding.ASCII.GetString(Trailer), Encoding.ASCII.GetString(received, length, Trailer.Length));
    }

    /// <summary>Everything until end of stream; a reset or a stall fails the test.</summary>
    public static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"received {received.Length} bytes, then neither data nor end of stream for 30 s");
        }

        return received.ToArray();
    }

    /// <summary>The upstream's record of one exchange: every byte arrived, and the client's FIN as a FIN.</summary>
    public static async Task AssertUpstreamSawAllAsync(UpstreamConnection c, int length = Length)
    {
        await c.WaitAsync();
        Assert.NotNull(c.Received);
        Assert.Equal(StreamEnd.Eof, c.Received.End);
        Assert.Equal(length, c.Received.Bytes);
    }

    /// <summary>
    /// Waits until the peer ends the connection (end of stream or reset) and says which; a
    /// <see cref="TimeoutException"/> if it is still open after <paramref name="within"/>.
    /// </summary>
    public static async Task<StreamEnd> WaitClosedAsync(Socket socket, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        byte[] buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0)
            {
                // Nothing is expected; keep reading until the end.
            }

            return StreamEnd.Eof;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return StreamEnd.Reset;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the connection was still open after {within.TotalSeconds} s");
        }
    }
}
