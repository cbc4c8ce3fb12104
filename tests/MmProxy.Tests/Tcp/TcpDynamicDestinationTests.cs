using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.Configuration;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>--dynamic-destination on the real loop: the header's destination is the upstream where the list allows it; anything else is reset and counted.</summary>
public sealed class TcpDynamicDestinationTests
{
    private static TcpLoopRig Start(string allowed, bool targetsGiven = false) => TcpLoopRig.Start(o =>
    {
        o.DynamicDestination = true;
        o.TargetsGiven = targetsGiven;
        o.AllowedDestinations = AllowedDestinationsLoader.Parse([allowed], "test", inline: true).Destinations;
    });

    [Fact]
    public async Task An_allowed_destination_is_connected_from_the_client()
    {
        await using TcpLoopRig rig = Start("127.0.0.1/32");
        IPEndPoint client = TcpLoopRig.NewClientEndPoint();
        using Socket socket = await rig.ConnectAsync();
        await Loopback.SendAllAsync(socket, Encoding.ASCII.GetBytes($"PROXY TCP4 {client.Address} 127.0.0.1 {client.Port} {rig.UpstreamEndPoint.Port}\r\nhi"));
        using Socket upstream = await rig.AcceptAsync();
        Assert.Equal(client, upstream.RemoteEndPoint);
        Assert.Equal("hi", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(upstream, 2)));
    }

    [Theory]
    [InlineData("127.0.0.1/32 1-2", "is not in --allowed-destinations")] // another port
    [InlineData("127.0.0.2/32", "is not in --allowed-destinations")] // another address
    public async Task A_destination_outside_the_list_is_reset_counted_and_logged(string allowed, string reason)
    {
        await using TcpLoopRig rig = Start(allowed);
        using Socket socket = await rig.ConnectAsync();
        await Loopback.SendAllAsync(socket, Encoding.ASCII.GetBytes($"PROXY TCP4 127.0.0.5 127.0.0.1 40000 {rig.UpstreamEndPoint.Port}\r\n"));
        await Loopback.AssertResetAsync(socket);
        await rig.WaitUntilAsync(() => rig.Counters.DestinationRefused == 1, "the refusal counted");
        Assert.True(rig.Logged(109, reason));
        rig.AssertNoUpstreamConnection();
    }

    [Fact]
    public async Task The_proxy_itself_is_never_a_destination_even_when_the_list_allows_it()
    {
        await using TcpLoopRig rig = Start("127.0.0.0/8");
        using Socket socket = await rig.ConnectAsync();
        await Loopback.SendAllAsync(socket, Encoding.ASCII.GetBytes($"PROXY TCP4 127.0.0.5 127.0.0.1 40000 {rig.EndPoint.Port}\r\n"));
        await Loopback.AssertResetAsync(socket);
        await rig.WaitUntilAsync(() => rig.Counters.DestinationRefused == 1, "the refusal counted");
        Assert.True(rig.Logged(109, "own listening address"));
    }

    [Theory]
    [InlineData("0.0.0.0", "not a unicast address")] // Linux connects 0.0.0.0 to this host
    [InlineData("224.0.0.1", "not a unicast address")]
    public async Task An_unspecified_or_multicast_destination_is_refused_whatever_the_list(string address, string reason)
    {
        await using TcpLoopRig rig = Start("0.0.0.0/0");
        using Socket socket = await rig.ConnectAsync();
        await Loopback.SendAllAsync(socket, Encoding.ASCII.GetBytes($"PROXY TCP4 127.0.0.5 {address} 40000 {rig.EndPoint.Port}\r\n"));
        await Loopback.AssertResetAsync(socket);
        await rig.WaitUntilAsync(() => rig.Counters.DestinationRefused == 1, "the refusal counted");
        Assert.True(rig.Logged(109, reason));
    }

    [Fact]
    public async Task Another_listener_of_the_process_is_never_a_destination()
    {
        await using TcpLoopRig other = TcpLoopRig.Start();
        await using TcpLoopRig rig = Start("127.0.0.0/8");
        using Socket socket = await rig.ConnectAsync();
        await Loopback.SendAllAsync(socket, Encoding.ASCII.GetBytes($"PROXY TCP4 127.0.0.5 127.0.0.1 40000 {other.EndPoint.Port}\r\n"));
        await Loopback.AssertResetAsync(socket);
        await rig.WaitUntilAsync(() => rig.Counters.DestinationRefused == 1, "the refusal counted");
        Assert.True(rig.Logged(109, "own listening address"));
        Assert.Equal(0, other.Counters.Accepted);
    }

    [Fact]
    public async Task Local_headers_are_closed_without_targets_and_go_to_them_when_given()
    {
        byte[] local = MmProxy.ProxyProtocol.ProxyHeaderWriter.WriteV2(MmProxy.ProxyProtocol.ProxyCommand.Local, MmProxy.ProxyProtocol.ProxyFamily.Unspec, default, default);
        await using (TcpLoopRig rig = Start("127.0.0.1/32"))
        {
            using Socket socket = await rig.ConnectAsync();
            await Loopback.SendAllAsync(socket, local);
            await Loopback.AssertResetAsync(socket);
            await rig.WaitUntilAsync(() => rig.Counters.DestinationRefused == 1, "the refusal counted");
        }

        await using (TcpLoopRig rig = Start("127.0.0.1/32", targetsGiven: true))
        {
            using Socket socket = await rig.ConnectAsync();
            await Loopback.SendAllAsync(socket, local);
            using Socket upstream = await rig.AcceptAsync();
            Assert.Equal(IPAddress.Loopback, ((IPEndPoint)upstream.RemoteEndPoint!).Address);
        }
    }
}
