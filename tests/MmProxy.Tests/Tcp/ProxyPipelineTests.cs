using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>
/// The real pipeline on 127.0.0.1 with transparent upstream sockets. Loopback sources (127.0.0.x,
/// ::1) need no policy routing, so the upstream must see exactly the header's source. Needs root
/// (CAP_NET_ADMIN for IP_TRANSPARENT); fails loudly otherwise.
/// </summary>
public sealed class ProxyPipelineTests : IDisposable
{
    private readonly Socket _upstream;
    private readonly IPEndPoint _upstreamEndPoint;

    public ProxyPipelineTests()
    {
        _upstream = Loopback.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        _upstreamEndPoint = (IPEndPoint)_upstream.LocalEndPoint!;
    }

    public void Dispose() => _upstream.Dispose();

    private ProxyOptions Options(Action<ProxyOptionsBuilder>? configure = null)
    {
        var builder = new ProxyOptionsBuilder { TargetV4 = _upstreamEndPoint };
        configure?.Invoke(builder);
        return builder.Build();
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint proxy)
    {
        var socket = new Socket(proxy.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(proxy).WaitAsync(Loopback.Deadline);
        return socket;
    }

    [Fact]
    public async Task Upstream_sees_the_exact_client_address_and_port_from_a_v1_header()
    {
        await using var proxy = InProcessProxy.Start(Options());
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, Encoding.ASCII.GetBytes("PROXY TCP4 127.0.0.77 127.0.0.1 40123 443\r\nhello"));

        using Socket server = await _upstream.AcceptAsync().WaitAsync(Loopback.Deadline);
        Assert.Equal(IPEndPoint.Parse("127.0.0.77:40123"), server.RemoteEndPoint);
        Assert.Equal("hello", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 5)));

        await Loopback.SendAllAsync(server, Encoding.ASCII.GetBytes("world"));
        server.Shutdown(SocketShutdown.Send);
        Assert.Equal("world", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(client)));
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await Loopback.ReadToEndAsync(server));
        await InProcessProxy.WaitUntilAsync(() => proxy.Counters.Completed == 1, "the connection to complete");
    }

    [Fact]
    public async Task A_v2_header_in_pieces_with_leftover_bytes_is_forwarded_leftover_first()
    {
        await using var proxy = InProcessProxy.Start(Options());
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4,
            ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("127.0.0.78:40124")), ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("127.0.0.1:443")));
        byte[] first = [.. header, .. "early"u8.ToArray()];
        using Socket client = await ConnectAsync(proxy.EndPoint);

        // Byte by byte for the first 10, then the rest together with application data.
        for (int i = 0; i < 10; i++)
        {
            await Loopback.SendAllAsync(client, first.AsMemory(i, 1));
            await Task.Delay(5);
        }

        await Loopback.SendAllAsync(client, first.AsMemory(10));
        using Socket server = await _upstream.AcceptAsync().WaitAsync(Loopback.Deadline);
        Assert.Equal(IPEndPoint.Parse("127.0.0.78:40124"), server.RemoteEndPoint);
        await Loopback.SendAllAsync(client, "+late"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("early+late", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(server)));
    }

    [Fact]
    public async Task Local_command_connects_without_spoofing_for_health_checks()
    {
        await using var proxy = InProcessProxy.Start(Options());
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Local, ProxyFamily.Unspec, ProxyAddress.None, ProxyAddress.None);
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, header);

        using Socket server = await _upstream.AcceptAsync().WaitAsync(Loopback.Deadline);
        var remote = (IPEndPoint)server.RemoteEndPoint!;
        Assert.Equal(IPAddress.Loopback, remote.Address);
        Assert.NotEqual(((IPEndPoint)client.LocalEndPoint!).Port, remote.Port);
    }

    [Fact]
    public async Task Proxy_unknown_connects_without_spoofing()
    {
        await using var proxy = InProcessProxy.Start(Options());
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, "PROXY UNKNOWN\r\nping"u8.ToArray());

        using Socket server = await _upstream.AcceptAsync().WaitAsync(Loopback.Deadline);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)server.RemoteEndPoint!).Address);
        Assert.Equal("ping", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 4)));
    }

    [Fact]
    public async Task Ipv6_client_goes_to_the_ipv6_target_from_its_address()
    {
        using Socket upstream6 = Loopback.Listen(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        await using var proxy = InProcessProxy.Start(Options(o => o.TargetV6 = (IPEndPoint)upstream6.LocalEndPoint!));
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, "PROXY TCP6 ::1 ::1 40125 443\r\n"u8.ToArray());

        using Socket server = await upstream6.AcceptAsync().WaitAsync(Loopback.Deadline);
        Assert.Equal(IPEndPoint.Parse("[::1]:40125"), server.RemoteEndPoint);
    }

    [Fact]
    public async Task Ipv4_client_with_a_v4_mapped_target_is_bound_v4_mapped()
    {
        using Socket dual = Loopback.Listen(new IPEndPoint(IPAddress.IPv6Any, 0));
        int port = ((IPEndPoint)dual.LocalEndPoint!).Port;
        await using var proxy = InProcessProxy.Start(Options(o => o.TargetV4 = IPEndPoint.Parse($"[::ffff:127.0.0.1]:{port}")));
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, "PROXY TCP4 127.0.0.79 127.0.0.1 40126 443\r\n"u8.ToArray());

        using Socket server = await dual.AcceptAsync().WaitAsync(Loopback.Deadline);
        Assert.Equal(IPEndPoint.Parse("[::ffff:127.0.0.79]:40126"), server.RemoteEndPoint);
    }

    [Fact]
    public async Task Client_port_in_use_falls_back_to_a_kernel_chosen_port_and_logs_it()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(IPEndPoint.Parse("127.0.0.80:40127"));
        holder.Listen(1);
        await using var proxy = InProcessProxy.Start(Options());
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, "PROXY TCP4 127.0.0.80 127.0.0.1 40127 443\r\n"u8.ToArray());

        using Socket server = await _upstream.AcceptAsync().WaitAsync(Loopback.Deadline);
        var remote = (IPEndPoint)server.RemoteEndPoint!;
        Assert.Equal(IPAddress.Parse("127.0.0.80"), remote.Address);
        Assert.NotEqual(40127, remote.Port);
        await InProcessProxy.WaitUntilAsync(() => proxy.Logs.Has(105), "the fallback to be logged");
    }

    [Fact]
    public async Task Disallowed_peer_is_reset_before_anything_is_read_or_connected()
    {
        await using var proxy = InProcessProxy.Start(Options(), AllowedSubnets.Create([IPNetwork.Parse("198.18.0.0/15")]));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // On loopback the reset can beat connect()'s own completion check.
            await client.ConnectAsync(proxy.EndPoint).WaitAsync(Loopback.Deadline);
            await Loopback.AssertResetAsync(client);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        await InProcessProxy.WaitUntilAsync(() => proxy.Counters.NotAllowed == 1, "the rejection to be counted");
        Assert.False(_upstream.Poll(0, SelectMode.SelectRead), "the upstream got a connection");
    }

    [Fact]
    public async Task Allowed_peer_by_subnet_passes()
    {
        await using var proxy = InProcessProxy.Start(Options(), AllowedSubnets.Create([IPNetwork.Parse("127.0.0.0/8")]));
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, "PROXY TCP4 127.0.0.81 127.0.0.1 40128 443\r\n"u8.ToArray());
        using Socket server = await _upstream.AcceptAsync().WaitAsync(Loopback.Deadline);
        Assert.Equal(IPEndPoint.Parse("127.0.0.81:40128"), server.RemoteEndPoint);
    }

    [Fact]
    public async Task Invalid_header_is_closed_counted_and_logged_with_the_reason()
    {
        await using var proxy = InProcessProxy.Start(Options());
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, "GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        await Loopback.AssertResetAsync(client);
        await InProcessProxy.WaitUntilAsync(() => proxy.Counters.HeaderInvalid == 1, "the invalid header to be counted");
        Assert.True(proxy.Logs.Has(101), proxy.Logs.Dump());
        Assert.False(_upstream.Poll(0, SelectMode.SelectRead), "the upstream got a connection");
    }

    [Fact]
    public async Task Late_header_times_out()
    {
        await using var proxy = InProcessProxy.Start(Options(o => o.HeaderTimeout = TimeSpan.FromMilliseconds(200)));
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, "PROXY TCP4 127.0.0.1"u8.ToArray());
        await Loopback.AssertResetAsync(client);
        await InProcessProxy.WaitUntilAsync(() => proxy.Counters.HeaderTimedOut == 1, "the timeout to be counted");
        Assert.True(proxy.Logs.Has(102), proxy.Logs.Dump());
    }

    [Fact]
    public async Task Header_larger_than_the_limit_is_rejected()
    {
        await using var proxy = InProcessProxy.Start(Options(o => o.MaxHeaderSize = 64));
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4,
            ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("127.0.0.82:1")), ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("127.0.0.1:443")),
            [new ProxyTlv(ProxyTlvType.Noop, new byte[100])]);
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, header);
        await Loopback.AssertResetAsync(client);
        await InProcessProxy.WaitUntilAsync(() => proxy.Counters.HeaderInvalid == 1, "the rejection to be counted");
    }

    [Fact]
    public async Task Refused_upstream_resets_the_client_and_says_nothing_listens()
    {
        IPEndPoint closed = _upstreamEndPoint;
        _upstream.Dispose();
        await using var proxy = InProcessProxy.Start(Options(o => o.TargetV4 = closed));
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, "PROXY TCP4 127.0.0.83 127.0.0.1 40129 443\r\n"u8.ToArray());
        await Loopback.AssertResetAsync(client);
        await InProcessProxy.WaitUntilAsync(() => proxy.Counters.UpstreamFailed == 1, "the failure to be counted");
        Assert.Contains(proxy.Logs.Events, e => e.EventId.Id == 104 && e.Message.Contains($"nothing listens on {closed}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Several_listeners_share_the_port()
    {
        await using var proxy = InProcessProxy.Start(Options(o => o.Listeners = 3));
        for (int i = 0; i < 6; i++)
        {
            using Socket client = await ConnectAsync(proxy.EndPoint);
            await Loopback.SendAllAsync(client, Encoding.ASCII.GetBytes($"PROXY TCP4 127.0.0.84 127.0.0.1 {41000 + i} 443\r\n"));
            using Socket server = await _upstream.AcceptAsync().WaitAsync(Loopback.Deadline);
            Assert.Equal(41000 + i, ((IPEndPoint)server.RemoteEndPoint!).Port);
        }
    }

    [Fact]
    public async Task Dual_stack_listener_matches_v4_mapped_peers_against_ipv4_subnets()
    {
        await using var proxy = InProcessProxy.Start(Options(), AllowedSubnets.Create([IPNetwork.Parse("127.0.0.0/8")]),
            listen: new IPEndPoint(IPAddress.IPv6Any, 0));
        using Socket client = await ConnectAsync(new IPEndPoint(IPAddress.Loopback, proxy.EndPoint.Port));
        await Loopback.SendAllAsync(client, "PROXY TCP4 127.0.0.85 127.0.0.1 40130 443\r\nv4"u8.ToArray());

        using Socket server = await _upstream.AcceptAsync().WaitAsync(Loopback.Deadline);
        Assert.Equal(IPEndPoint.Parse("127.0.0.85:40130"), server.RemoteEndPoint);
        Assert.Equal("v4", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 2)));
        Assert.Equal(0, proxy.Counters.NotAllowed);
    }

    [Fact]
    public async Task Local_over_a_v4_mapped_connection_goes_to_the_ipv4_target()
    {
        await using var proxy = InProcessProxy.Start(Options(), listen: new IPEndPoint(IPAddress.IPv6Any, 0));
        using Socket client = await ConnectAsync(new IPEndPoint(IPAddress.Loopback, proxy.EndPoint.Port));
        await Loopback.SendAllAsync(client, ProxyHeaderWriter.WriteV2(ProxyCommand.Local, ProxyFamily.Unspec, ProxyAddress.None, ProxyAddress.None));
        using Socket server = await _upstream.AcceptAsync().WaitAsync(Loopback.Deadline);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)server.RemoteEndPoint!).Address);
    }
}
