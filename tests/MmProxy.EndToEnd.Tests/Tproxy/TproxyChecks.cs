using System.ComponentModel;
using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.ProxyProtocol;

namespace MmProxy.EndToEnd.Tests.Tproxy;

/// <summary>
/// What the TPROXY and dynamic destination tests share: `mmproxy routing` run inside the server
/// namespace, clients that send a header of their own choosing, and the assertions on what reached
/// the services and what the client got back.
/// </summary>
internal static class TproxyChecks
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The nft rules are real ones: without nft the tests cannot mean anything, so they fail (never skip).</summary>
    public static async Task RequireNftAsync()
    {
        try
        {
            CommandResult r = await Command.RunAsync("nft", ["--version"]);
            Assert.True(r.ExitCode == 0, "nft does not run: " + r);
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"the TPROXY tests need nftables (apt-get install nftables): {e.Message}");
        }
    }

    /// <summary>The proxy binary's own subcommand (`routing apply|remove ...`) in the server namespace; must exit 0.</summary>
    public static async Task<CommandResult> RunInServerAsync(TestNetwork net, params string[] arguments)
    {
        CommandResult r = await Command.RunAsync("ip", ["netns", "exec", net.ServerNs, ProxyBinary.Path, .. arguments], TimeSpan.FromSeconds(60));
        net.Note($"--- {r.CommandLine}: exit {r.ExitCode}\n{r.StdOut}{r.StdErr}");
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }

    /// <summary>The inet mmproxy table as nft lists it, or null when it does not exist.</summary>
    public static async Task<string?> NftTableAsync(TestNetwork net)
    {
        CommandResult r = await Command.RunAsync("ip", ["netns", "exec", net.ServerNs, "nft", "list", "table", "inet", "mmproxy"]);
        return r.ExitCode == 0 ? r.StdOut : null;
    }

    public static async Task<string> RulesAsync(TestNetwork net, string family) =>
        (await Command.CheckAsync("ip", "-n", net.ServerNs, family, "rule", "show")).StdOut;

    public static byte[] Header(int version, IPEndPoint client, IPEndPoint destination) => version == 1
        ? ProxyLines.V1(client, destination)
        : ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, client.AddressFamily == AddressFamily.InterNetworkV6 ? ProxyFamily.Tcp6 : ProxyFamily.Tcp4,
            ProxyAddress.FromIPEndPoint(client), ProxyAddress.FromIPEndPoint(destination));

    /// <summary>From the load balancer (client namespace) to <paramref name="reached"/>, the header sent first.</summary>
    public static async Task<Socket> ConnectWithHeaderAsync(TestNetwork net, IPEndPoint reached, byte[] header)
    {
        Socket s = await net.ConnectFromClientAsync(reached);
        await Streams.SendAllAsync(s, header);
        return s;
    }

    /// <summary>
    /// Sends <paramref name="length"/> pattern bytes (offset by <paramref name="seed"/> so connections
    /// differ), expects every one of them echoed in order, then half-closes and expects the echo
    /// service's end of stream.
    /// </summary>
    public static async Task EchoAndFinishAsync(Socket s, int length, int seed)
    {
        await EchoAsync(s, length, seed);
        s.Shutdown(SocketShutdown.Send);
        using var cts = new CancellationTokenSource(Timeout);
        ReceiveResult rest = await Streams.ReceiveAsync(s, ct: cts.Token);
        Assert.Equal(StreamEnd.Eof, rest.End);
        Assert.Equal(0, rest.Bytes);
    }

    public static async Task EchoAsync(Socket s, int length, int seed)
    {
        byte[] payload = Streams.Pattern(length + seed)[seed..];
        Task send = Streams.SendAllAsync(s, payload);
        byte[] back = await Streams.ReceiveExactlyAsync(s, payload.Length);
        await send;
        Assert.True(payload.AsSpan().SequenceEqual(back), $"the echo of {length} bytes differs from what was sent");
    }

    /// <summary>The service saw exactly this client, on this address and port, and exactly <paramref name="bytes"/> bytes before the end of stream.</summary>
    public static async Task AssertServedAsync(UpstreamConnection seen, IPEndPoint client, IPEndPoint service, long bytes)
    {
        Assert.Equal(client, seen.Remote);
        Assert.Equal(service, seen.Local);
        await seen.WaitAsync();
        Assert.NotNull(seen.Received);
        Assert.Equal(bytes, seen.Received.Bytes);
        Assert.Equal(StreamEnd.Eof, seen.Received.End);
    }

    /// <summary>
    /// The proxy refused the connection: the client gets a reset (no byte before it), however far its
    /// own send got.
    /// </summary>
    public static async Task AssertResetAsync(Socket s)
    {
        try
        {
            await Streams.SendAllAsync(s, "must not arrive"u8.ToArray());
        }
        catch (SocketException e)
        {
            // The reset came first and the send reported it (a later receive would then see only
            // end of stream): what we expect.
            Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
            Assert.Equal(0, s.Available);
            return;
        }

        using var cts = new CancellationTokenSource(Timeout);
        ReceiveResult r = await Streams.ReceiveAsync(s, ct: cts.Token);
        Assert.True(r.End == StreamEnd.Reset && r.Bytes == 0, $"expected a reset before any byte, got {r.Bytes} bytes and {r.End} {r.Error}");
    }

    /// <summary>Nothing carries a connection to <paramref name="reached"/> any more: the connect is refused (or never answered).</summary>
    public static async Task AssertUnreachableAsync(TestNetwork net, IPEndPoint reached)
    {
        try
        {
            using Socket s = await net.ConnectFromClientAsync(reached);
            Assert.Fail($"a connection to {reached} was accepted (by {s.RemoteEndPoint}) although no rule should carry it");
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.TimedOut or SocketError.HostUnreachable)
        {
            net.Note($"connect to {reached}: {e.SocketErrorCode}, as expected");
        }
        catch (OperationCanceledException)
        {
            net.Note($"connect to {reached}: no answer within the deadline, as expected");
        }
    }
}
