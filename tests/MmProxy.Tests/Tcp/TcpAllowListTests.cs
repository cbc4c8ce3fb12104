using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>The allowed subnets, checked at accept: a peer outside is reset before a byte is read; dual-stack listeners see IPv4 peers as v4-mapped.</summary>
public sealed class TcpAllowListTests
{
    [Fact]
    public async Task A_disallowed_peer_is_reset_before_anything_is_read_or_connected()
    {
        await using var rig = TcpLoopRig.Start(subnets: AllowedSubnets.Create([IPNetwork.Parse("198.18.0.0/15")]));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // On loopback the reset can beat connect()'s own completion check.
            await client.ConnectAsync(rig.EndPoint).WaitAsync(Loopback.Deadline);
            await Loopback.AssertResetAsync(client);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        await rig.WaitUntilAsync(() => rig.Counters.NotAllowed == 1, "the rejection to be counted");
        Assert.True(rig.Logged(100, "rejected: not in the allowed subnets"), rig.Logs.Dump());
        Assert.Equal(0, rig.Counters.Active);
        Assert.Equal(0, rig.Counters.HeaderInvalid);
        Assert.False(rig.Logs.Has(201), rig.Logs.Dump());
        rig.AssertNoUpstreamConnection();
    }

    [Fact]
    public async Task An_allowed_peer_by_subnet_passes()
    {
        await using var rig = TcpLoopRig.Start(subnets: AllowedSubnets.Create([IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("127.0.0.0/8")]));
        (Socket client, Socket server) = await rig.OpenAsync("in");
        client.Dispose();
        server.Dispose();
        Assert.Equal(0, rig.Counters.NotAllowed);
    }

    [Fact]
    public async Task A_dual_stack_listener_matches_v4_mapped_peers_against_ipv4_subnets()
    {
        await using var rig = TcpLoopRig.Start(subnets: AllowedSubnets.Create([IPNetwork.Parse("127.0.0.0/8")]), listen: new IPEndPoint(IPAddress.IPv6Any, 0));
        (Socket client, Socket server) = await rig.OpenAsync("v4");
        client.Dispose();
        server.Dispose();
        Assert.Equal(0, rig.Counters.NotAllowed);
        Assert.True(rig.Logged(200, "Accepted connection from [::ffff:127.0.0.1]"), rig.Logs.Dump());
    }

    [Fact]
    public async Task Local_over_a_v4_mapped_connection_goes_to_the_ipv4_target()
    {
        await using var rig = TcpLoopRig.Start(listen: new IPEndPoint(IPAddress.IPv6Any, 0));
        using Socket client = await rig.ConnectAsync();
        await Loopback.SendAllAsync(client, ProxyHeaderWriter.WriteV2(ProxyCommand.Local, ProxyFamily.Unspec, ProxyAddress.None, ProxyAddress.None));
        using Socket server = await rig.AcceptAsync();
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)server.RemoteEndPoint!).Address);
        await Loopback.SendAllAsync(client, "ok"u8.ToArray());
        Assert.Equal("ok", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 2)));
    }
}
