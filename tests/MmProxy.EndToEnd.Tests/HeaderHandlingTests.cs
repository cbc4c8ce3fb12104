using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.ProxyProtocol;

namespace MmProxy.EndToEnd.Tests;

/// <summary>What reaches the upstream, and what must not: peers outside the allowed subnets,
/// invalid headers, headers trickling in byte by byte, silent connections.</summary>
public sealed class HeaderHandlingTests
{
    private static readonly TimeSpan NothingWindow = TimeSpan.FromSeconds(1);

    /// <summary>A valid connection from the server namespace's loopback, claiming a client address.</summary>
    private static async Task AssertStillServesAsync(TestNetwork net, Upstream upstream)
    {
        var proxy = new IPEndPoint(IPAddress.Loopback, TestNetwork.ProxyPort);
        using Socket s = await net.ConnectAsync(net.ServerNs, proxy);
        var claimed = new IPEndPoint(net.ClientV4, 44444);
        await Streams.SendAllAsync(s, ProxyLines.V1(claimed, proxy));
        await Streams.SendAllAsync(s, "still alive"u8.ToArray());
        byte[] echoed = await Streams.ReceiveExactlyAsync(s, 11);
        UpstreamConnection seen = await upstream.NextAsync();
        Assert.Equal(claimed, seen.Remote);
        Assert.Equal("still alive", Encoding.ASCII.GetString(echoed));
    }

    /// <summary>The proxy must end a connection it refuses; returns how it ended.</summary>
    private static async Task<ReceiveResult> AssertClosedByProxyAsync(Socket s, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try
        {
            ReceiveResult r = await Streams.ReceiveAsync(s, ct: cts.Token);
            Assert.Equal(0, r.Bytes);
            return r;
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the proxy kept the refused connection open for more than {within.TotalSeconds} s");
            throw;
        }
    }

    /// <summary>The proxy may refuse (close) at any moment, even before this send.</summary>
    private static async Task TrySendAsync(Socket s, byte[] data)
    {
        try
        {
            await Streams.SendAllAsync(s, data);
        }
        catch (SocketException)
        {
            // Already closed by the proxy: fine, the assertions that follow are what matter.
        }
    }

    [Fact]
    public Task Peer_outside_allowed_subnets_gets_no_upstream_connection() => E2E.RunAsync(async net =>
    {
        // Allows the server's own loopback and a documentation range, not the client namespace.
        string subnets = net.WriteFile("allowed.txt", "198.51.100.0/24\n127.0.0.0/8\n::1/128\n");
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        await net.StartProxyAsync("0.0.0.0", "-allowed-subnets", subnets);

        var proxy = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        using Socket refused = await net.ConnectFromClientAsync(proxy);
        byte[] header = ProxyLines.V1((IPEndPoint)refused.LocalEndPoint!, proxy);
        await TrySendAsync(refused, [.. header, .. "payload that must not arrive"u8]);
        await upstream.AssertNothingAcceptedAsync(NothingWindow);
        _ = await AssertClosedByProxyAsync(refused, TimeSpan.FromSeconds(5));

        await AssertStillServesAsync(net, upstream);
    });

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: example\r\n\r\n")]
    [InlineData("PROXY TCP4 198.51.100.1 198.51.100.2 99999 80\r\n")]
    [InlineData("PROXY TCP4 2001:db8::1 198.51.100.2 1000 80\r\n")]
    public Task Invalid_header_gets_no_upstream_connection(string header) => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        await net.StartProxyAsync();

        using Socket bad = await net.ConnectFromClientAsync(new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort));
        await TrySendAsync(bad, Encoding.ASCII.GetBytes(header + "payload"));
        await upstream.AssertNothingAcceptedAsync(NothingWindow);
        _ = await AssertClosedByProxyAsync(bad, TimeSpan.FromSeconds(5));

        await AssertStillServesAsync(net, upstream);
    });

    [Theory]
    [InlineData(1, "ipv4")]
    [InlineData(1, "ipv6")]
    [InlineData(2, "ipv4")]
    [InlineData(2, "ipv6")]
    public Task Header_sent_one_byte_at_a_time_works(int version, string family) => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        await net.StartProxyAsync();
        var proxy = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        using Socket s = await net.ConnectFromClientAsync(proxy);
        int port = ((IPEndPoint)s.LocalEndPoint!).Port;
        bool v6 = family == "ipv6";
        var claimed = new IPEndPoint(v6 ? net.ClientV6 : net.ClientV4, port);
        var destination = new IPEndPoint(v6 ? net.ServerV6 : net.ServerV4, TestNetwork.ProxyPort);
        byte[] header = version == 1
            ? ProxyLines.V1(claimed, destination)
            : ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, v6 ? ProxyFamily.Tcp6 : ProxyFamily.Tcp4,
                ProxyAddress.FromIPEndPoint(claimed), ProxyAddress.FromIPEndPoint(destination));

        // NoDelay is on: each byte leaves as its own segment; the pause keeps them apart on arrival.
        foreach (byte b in header)
        {
            await Streams.SendAllAsync(s, new[] { b });
            await Pace.WaitAsync(3);
        }
        await Streams.SendAllAsync(s, "ping"u8.ToArray());
        byte[] echoed = await Streams.ReceiveExactlyAsync(s, 4);

        UpstreamConnection seen = await upstream.NextAsync();
        Assert.Equal(claimed, seen.Remote);
        Assert.Equal("ping", Encoding.ASCII.GetString(echoed));
    });

    [Fact]
    public Task Silent_connection_is_closed_at_the_header_timeout() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        await net.StartProxyAsync("0.0.0.0", "--header-timeout", "1s");

        using Socket silent = await net.ConnectFromClientAsync(new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort));
        var clock = Stopwatch.StartNew();
        ReceiveResult r = await AssertClosedByProxyAsync(silent, TimeSpan.FromSeconds(5));
        TimeSpan elapsed = clock.Elapsed;

        Assert.True(elapsed >= TimeSpan.FromSeconds(0.8) && elapsed <= TimeSpan.FromSeconds(3),
            $"closed after {elapsed.TotalSeconds:F2} s ({r.End}); expected about 1 s");
        Assert.Equal(0, upstream.AcceptedCount);
        await AssertStillServesAsync(net, upstream);
    });
}
