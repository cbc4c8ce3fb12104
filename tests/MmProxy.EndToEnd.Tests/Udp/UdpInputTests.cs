using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.ProxyProtocol;

namespace MmProxy.EndToEnd.Tests.Udp;

/// <summary>What the proxy does with datagrams it must not forward, LOCAL ones, large ones, listeners and subnets.</summary>
public sealed class UdpInputTests
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(5);

    private static async Task RoundTripAsync(UdpClientSession session, string text)
    {
        await session.SendAsync(Encoding.ASCII.GetBytes(text));
        byte[]? reply = await session.ReceiveAsync(ReplyTimeout);
        Assert.True(reply is not null, $"no reply to '{text}' from {session.Client}");
        Assert.Equal($"{session.Client}|{text}", Encoding.ASCII.GetString(reply));
    }

    [Fact]
    public Task Garbage_and_unsupported_headers_are_dropped_and_never_crash() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        BackgroundProcess proxy = await net.StartUdpProxyAsync("-v", "1");
        var proxyEndPoint = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        var client = new IPEndPoint(IPAddress.Parse("203.0.113.5"), 5555);
        using var session = udp.Own(new UdpClientSession(net, proxyEndPoint, client));
        var c = ProxyAddress.FromIPEndPoint(client);
        var d = ProxyAddress.FromIPEndPoint(proxyEndPoint);
        byte[] valid = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Udp4, c, d);

        List<byte[]> bad =
        [
            [],
            Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n"),
            ProxyHeaderWriter.WriteV1(ProxyFamily.Tcp4, c, d).Concat("v1"u8.ToArray()).ToArray(),
            ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4, c, d).Concat("tcp"u8.ToArray()).ToArray(),
            valid[..20],
            // go-mmproxy crashed on a v2 length shorter than the address block.
            [.. valid[..14], 0x00, 0x00],
            // Length claiming more than the datagram holds.
            [.. valid[..14], 0xFF, 0xFF, .. valid[16..]],
        ];
        var random = new Random(4242);
        for (int i = 0; i < 500; i++)
        {
            byte[] junk = new byte[random.Next(1, 300)];
            random.NextBytes(junk);
            if (i % 2 == 0)
            {
                valid.AsSpan(0, Math.Min(valid.Length, junk.Length)).CopyTo(junk); // mutated headers
                junk[random.Next(junk.Length)] ^= (byte)(1 + random.Next(255));
            }
            bad.Add(junk);
        }
        foreach (byte[] datagram in bad)
        {
            await session.SendRawAsync(datagram);
        }

        // A mutated header may still be valid (a flipped payload or address byte): skip those echoes.
        await session.SendAsync("still alive"u8.ToArray());
        string? last = null;
        while (last != $"{client}|still alive")
        {
            byte[]? reply = await session.ReceiveAsync(ReplyTimeout);
            Assert.True(reply is not null, $"no reply to the valid datagram after the garbage (last reply: {last})");
            last = Encoding.ASCII.GetString(reply);
        }
        Assert.False(proxy.HasExited);
        await ProcessLog.WaitForAsync(proxy, "dropped");
        Assert.Contains(client, upstream.Sources);

        // The final summary counts each kind of drop.
        Assert.Equal(0, (await Command.RunAsync("kill", ["-TERM", proxy.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])).ExitCode);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await proxy.Exited.WaitAsync(cts.Token);
        Assert.Equal(0, proxy.ExitCode);
        string summary = ProcessLog.Matches(proxy, "drops by reason: ([^;]*);").Single();
        foreach (string reason in new[] { "invalid header ", "truncated header ", "v1 ", "stream family " })
        {
            Assert.Contains(reason, summary, StringComparison.Ordinal);
        }
    });

    [Fact]
    public Task Local_datagrams_reach_the_upstream_unspoofed() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream(UdpUpstreamMode.EchoPayload);
        await net.StartUdpProxyAsync();
        using Socket lb = TestNetwork.CreateUdpSocket(net.ClientNs, new IPEndPoint(net.ClientV4, 0));
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Local, ProxyFamily.Unspec, ProxyAddress.None, ProxyAddress.None);
        byte[] datagram = [.. header, .. "health"u8.ToArray()];
        await lb.SendToAsync(datagram, SocketFlags.None, new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort));
        UdpDatagramRecord seen = await upstream.NextAsync(ReplyTimeout);
        Assert.True(IPAddress.IsLoopback(seen.Source.Address), $"LOCAL datagram reached the upstream from {seen.Source}");
        Assert.Equal("health", Encoding.ASCII.GetString(seen.Payload));
        byte[] buffer = new byte[100];
        using var cts = new CancellationTokenSource(ReplyTimeout);
        int n = await lb.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        Assert.Equal("health", Encoding.ASCII.GetString(buffer, 0, n));
    });

    [Theory]
    [InlineData("ipv4")]
    [InlineData("ipv6")]
    public Task Largest_datagrams_pass_whole_both_ways(string family) => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream(UdpUpstreamMode.EchoPayload);
        await net.StartUdpProxyAsync();
        bool v6 = family == "ipv6";
        IPEndPoint client = v6 ? new IPEndPoint(IPAddress.Parse("2001:db8:ffff:5::5"), 5555) : new IPEndPoint(IPAddress.Parse("203.0.113.5"), 5555);
        using var session = udp.Own(new UdpClientSession(net, new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort), client));
        // The balancer's datagram (IPv4) may be 65,507 bytes: header plus the largest payload.
        int payloadLength = 65507 - session.HeaderLength;
        byte[] payload = new byte[payloadLength];
        new Random(7).NextBytes(payload);
        session.Socket.SendBufferSize = 1 << 20;
        await session.SendAsync(payload);
        UdpDatagramRecord seen = await upstream.NextAsync(ReplyTimeout);
        Assert.Equal(client, seen.Source);
        Assert.Equal(payload, seen.Payload);
        byte[]? reply = await session.ReceiveAsync(ReplyTimeout);
        Assert.NotNull(reply);
        Assert.Equal(payload, reply);
    });

    [Fact]
    public Task Listeners_share_the_port_and_all_serve() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        await net.StartUdpProxyAsync(
            ["-p", "udp", "-l", "0.0.0.0:" + TestNetwork.ProxyPort, "-4", "127.0.0.1:" + TestNetwork.UpstreamPort, "-listeners", "4", "-v", "2"],
            listeners: 4);
        var sessions = Enumerable.Range(1, 24)
            .Select(i => udp.Own(new UdpClientSession(net, new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort), new IPEndPoint(IPAddress.Parse($"203.0.113.{i}"), 6000 + i))))
            .ToArray();
        for (int round = 0; round < 3; round++)
        {
            foreach (UdpClientSession s in sessions)
            {
                await RoundTripAsync(s, "r" + round);
            }
        }
        Assert.Equal(24, upstream.Sources.Length);
        Assert.Equal(24, await net.CountUdpFlowSocketsAsync());
    });

    [Fact]
    public Task Senders_outside_the_allowed_subnets_are_dropped() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        string subnets = net.WriteFile("subnets.txt", "198.51.100.0/24\n");
        BackgroundProcess proxy = await net.StartUdpProxyAsync("-allowed-subnets", subnets, "-v", "1");
        using var session = udp.Own(new UdpClientSession(net, new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort), new IPEndPoint(IPAddress.Parse("203.0.113.5"), 5555)));
        await session.SendAsync("denied"u8.ToArray());
        await ProcessLog.WaitForAsync(proxy, "not in the allowed subnets");
        Assert.Null(await session.ReceiveAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Equal(0, upstream.Count);
    });

    [Fact]
    public Task Allowed_subnets_let_the_balancer_through() => UdpE2E.RunAsync(async (net, udp) =>
    {
        udp.StartUpstream();
        string subnets = net.WriteFile("subnets.txt", $"{net.ClientV4}/32\n{net.ClientV6}/128\n");
        await net.StartUdpProxyAsync("-allowed-subnets", subnets);
        using var v4 = udp.Own(new UdpClientSession(net, new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort), new IPEndPoint(IPAddress.Parse("203.0.113.5"), 5555)));
        using var v6 = udp.Own(new UdpClientSession(net, new IPEndPoint(net.ServerV6, TestNetwork.ProxyPort), new IPEndPoint(IPAddress.Parse("2001:db8:ffff:5::5"), 5555)));
        await RoundTripAsync(v4, "ok4");
        await RoundTripAsync(v6, "ok6");
    });
}
