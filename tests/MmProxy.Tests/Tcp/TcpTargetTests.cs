using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.Interop;
using MmProxy.ProxyProtocol;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>
/// The target by the client's family and how the upstream is connected: spoofed from the client's
/// address (IPv6, v4-mapped), unspoofed without a client address (LOCAL, UNKNOWN), and the failures:
/// refused (nothing listens), unroutable (IPv6 client, IPv4-only target).
/// </summary>
public sealed class TcpTargetTests
{
    [Fact]
    public async Task A_v1_header_is_connected_from_the_exact_client_address_with_nodelay_and_both_ways_flow()
    {
        await using var rig = TcpLoopRig.Start();
        (Socket client, Socket server) = await rig.OpenAsync("hello");
        using (client)
        using (server)
        {
            // The upstream socket (bound to the client's address) has Nagle off: small writes go out at once.
            int upstream = TcpLoopRig.DescriptorAt((IPEndPoint)server.RemoteEndPoint!);
            Assert.Equal(Errno.Success, SocketOptions.GetInt(upstream, SocketOptions.SolTcp, SocketOptions.TcpNoDelay, out int noDelay));
            Assert.Equal(1, noDelay);

            await Loopback.SendAllAsync(server, "world"u8.ToArray());
            server.Shutdown(SocketShutdown.Send);
            Assert.Equal("world", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(client)));
            client.Shutdown(SocketShutdown.Send);
            Assert.Empty(await Loopback.ReadToEndAsync(server));
        }

        await rig.WaitUntilAsync(() => rig.Counters.Completed == 1, "the connection to complete");
        Assert.Equal(1, rig.Counters.Accepted);
        Assert.Equal(0, rig.Counters.UpstreamFailed);
    }

    [Fact]
    public async Task The_local_command_connects_without_spoofing_for_health_checks()
    {
        await using var rig = TcpLoopRig.Start();
        using Socket client = await rig.ConnectAsync();
        await Loopback.SendAllAsync(client, ProxyHeaderWriter.WriteV2(ProxyCommand.Local, ProxyFamily.Unspec, ProxyAddress.None, ProxyAddress.None));

        using Socket server = await rig.AcceptAsync();
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)server.RemoteEndPoint!).Address);
        await Loopback.SendAllAsync(server, "up"u8.ToArray());
        Assert.Equal("up", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(client, 2)));
    }

    [Fact]
    public async Task Proxy_unknown_connects_without_spoofing()
    {
        await using var rig = TcpLoopRig.Start();
        using Socket client = await rig.ConnectAsync();
        await Loopback.SendAllAsync(client, "PROXY UNKNOWN\r\nping"u8.ToArray());

        using Socket server = await rig.AcceptAsync();
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)server.RemoteEndPoint!).Address);
        Assert.Equal("ping", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 4)));
    }

    [Fact]
    public async Task An_ipv6_client_goes_to_the_ipv6_target_from_its_address()
    {
        using Socket upstream6 = Loopback.Listen(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        await using var rig = TcpLoopRig.Start(o => o.TargetV6 = (IPEndPoint)upstream6.LocalEndPoint!);
        int port = TcpLoopRig.FreeClientPort();
        using Socket client = await rig.ConnectAsync();
        await Loopback.SendAllAsync(client, Encoding.ASCII.GetBytes($"PROXY TCP6 ::1 ::1 {port} 443\r\nv6"));

        using Socket server = await upstream6.AcceptAsync().WaitAsync(Loopback.Deadline);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, port), server.RemoteEndPoint);
        Assert.Equal("v6", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 2)));
    }

    [Fact]
    public async Task An_ipv4_client_with_a_v4_mapped_target_is_bound_v4_mapped()
    {
        using Socket dual = Loopback.Listen(new IPEndPoint(IPAddress.IPv6Any, 0));
        int port = ((IPEndPoint)dual.LocalEndPoint!).Port;
        await using var rig = TcpLoopRig.Start(o => o.TargetV4 = IPEndPoint.Parse($"[::ffff:127.0.0.1]:{port}"));
        IPEndPoint source = TcpLoopRig.NewClientEndPoint();
        using Socket client = await rig.ConnectAsync();
        await Loopback.SendAllAsync(client, Encoding.ASCII.GetBytes($"PROXY TCP4 {source.Address} 127.0.0.1 {source.Port} 443\r\nv4"));

        using Socket server = await dual.AcceptAsync().WaitAsync(Loopback.Deadline);
        Assert.Equal(new IPEndPoint(source.Address.MapToIPv6(), source.Port), server.RemoteEndPoint);
        Assert.Equal("v4", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 2)));
    }

    [Fact]
    public async Task A_refused_upstream_resets_the_client_and_says_nothing_listens()
    {
        // Bound but not listening: the port stays ours, and a SYN to it is answered with RST.
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var target = (IPEndPoint)closed.LocalEndPoint!;
        await using var rig = TcpLoopRig.Start(o => o.TargetV4 = target);
        using Socket client = await rig.ConnectAsync();
        await Loopback.SendAllAsync(client, "PROXY TCP4 127.0.0.64 127.0.0.1 40064 443\r\nhi"u8.ToArray());

        await Loopback.AssertResetAsync(client);
        await rig.WaitUntilAsync(() => rig.Counters.Active == 0, "the connection to close");
        Assert.Equal(1, rig.Counters.UpstreamFailed);
        Assert.Equal(1, rig.Counters.UpstreamRefused);
        Assert.True(rig.Logged(104, $"(client 127.0.0.64:40064): cannot connect to {target}: connection refused: nothing listens on {target}"), rig.Logs.Dump());
    }

    [Fact]
    public async Task An_ipv6_client_with_an_ipv4_only_target_is_reset_as_unroutable()
    {
        await using var rig = TcpLoopRig.Start(o => o.TargetV6 = new IPEndPoint(IPAddress.Loopback, 9));
        using Socket client = await rig.ConnectAsync();
        await Loopback.SendAllAsync(client, "PROXY TCP6 ::1 ::1 40065 443\r\n"u8.ToArray());

        await Loopback.AssertResetAsync(client);
        await rig.WaitUntilAsync(() => rig.Counters.Active == 0, "the connection to close");
        Assert.Equal(1, rig.Counters.UpstreamFailed);
        Assert.True(rig.Logged(107, "give -6 an IPv6 address"), rig.Logs.Dump());
    }
}
