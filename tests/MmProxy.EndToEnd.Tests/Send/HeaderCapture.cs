using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>
/// A PROXY receiver of the test's own at REMOTE (an <see cref="Upstream"/> on 127.0.0.1 and ::1):
/// reads exactly the header's bytes off each connection (a v1 line up to CRLF, or v2's 16 bytes plus
/// its length), keeps them for the test to check byte by byte, then runs
/// <see cref="TcpExchange.EchoThenTrailer"/> on the rest of the stream.
/// </summary>
internal sealed class HeaderCapture
{
    private static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];
    private readonly Channel<(IPEndPoint Peer, byte[] Header)> _headers = Channel.CreateUnbounded<(IPEndPoint, byte[])>();

    public Upstream Start(TestNetwork net, int port = TestNetwork.ProxyPort) => net.StartUpstream(HandleAsync, port);

    /// <summary>The next header received (in accept order) and the sender's endpoint.</summary>
    public async Task<(IPEndPoint Peer, byte[] Header)> NextAsync()
    {
        using var cts = new CancellationTokenSource(TestNetwork.DefaultTimeout);
        try
        {
            return await _headers.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no (further) PROXY header reached the capture within {TestNetwork.DefaultTimeout.TotalSeconds} s");
        }
    }

    private async Task HandleAsync(UpstreamConnection c)
    {
        byte[] header = await ReadHeaderAsync(c.Socket);
        _headers.Writer.TryWrite((c.Remote, header));
        await TcpExchange.EchoThenTrailer(c);
    }

    private static async Task<byte[]> ReadHeaderAsync(Socket s)
    {
        byte[] start = await Streams.ReceiveExactlyAsync(s, 12);
        if (start.AsSpan().SequenceEqual(V2Signature))
        {
            byte[] fixedPart = await Streams.ReceiveExactlyAsync(s, 4);
            int length = (fixedPart[2] << 8) | fixedPart[3];
            byte[] rest = length == 0 ? [] : await Streams.ReceiveExactlyAsync(s, length);
            return [.. start, .. fixedPart, .. rest];
        }

        // v1: byte by byte up to CRLF, so not one payload byte is taken; 107 bytes at most.
        var line = new List<byte>(start);
        while (line.Count < 107 && !(line.Count >= 2 && line[^2] == '\r' && line[^1] == '\n'))
        {
            line.AddRange(await Streams.ReceiveExactlyAsync(s, 1));
        }

        return [.. line];
    }
}
