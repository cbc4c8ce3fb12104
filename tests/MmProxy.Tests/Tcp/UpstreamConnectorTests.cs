using System.Net;
using System.Net.Sockets;
using MmProxy.Tcp;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>The upstream connector's outcomes and the fixes its messages carry. Needs root.</summary>
public sealed class UpstreamConnectorTests
{
    // Short for the tests that wait for a timeout; generous where a connect must succeed.
    private static readonly UpstreamConnector Connector = new(mark: 0, connectTimeout: TimeSpan.FromSeconds(5));
    private static readonly UpstreamConnector Impatient = new(mark: 0, connectTimeout: TimeSpan.FromMilliseconds(300));

    /// <summary>A listener whose accept queue is full: further SYNs are dropped, so connects hang.</summary>
    private static async Task<(Socket Listener, Socket Filler)> FullListenerAsync(IPAddress address)
    {
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, 0));
        listener.Listen(0);
        var filler = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await filler.ConnectAsync(listener.LocalEndPoint!).WaitAsync(Loopback.Deadline);
        return (listener, filler);
    }

    [Fact]
    public async Task Connects_from_the_client_address_with_nodelay()
    {
        using Socket listener = Loopback.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        var target = (IPEndPoint)listener.LocalEndPoint!;
        UpstreamConnectResult result = await Connector.ConnectAsync(new TargetSelection(target, IPEndPoint.Parse("127.0.0.91:40200"), null));
        using Socket upstream = Assert.IsType<Socket>(result.Socket);
        Assert.Equal(IPEndPoint.Parse("127.0.0.91:40200"), upstream.LocalEndPoint);
        Assert.True(upstream.NoDelay);
        Assert.False(result.UsedFallbackPort);
    }

    [Fact]
    public async Task Client_port_zero_lets_the_kernel_choose()
    {
        using Socket listener = Loopback.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        UpstreamConnectResult result = await Connector.ConnectAsync(
            new TargetSelection((IPEndPoint)listener.LocalEndPoint!, IPEndPoint.Parse("127.0.0.92:0"), null));
        using Socket upstream = Assert.IsType<Socket>(result.Socket);
        var local = (IPEndPoint)upstream.LocalEndPoint!;
        Assert.Equal(IPAddress.Parse("127.0.0.92"), local.Address);
        Assert.NotEqual(0, local.Port);
    }

    [Fact]
    public async Task A_taken_four_tuple_falls_back_to_another_port()
    {
        using Socket listener = Loopback.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        var target = (IPEndPoint)listener.LocalEndPoint!;
        var selection = new TargetSelection(target, IPEndPoint.Parse("127.0.0.93:40201"), null);
        UpstreamConnectResult first = await Connector.ConnectAsync(selection);
        using Socket firstSocket = Assert.IsType<Socket>(first.Socket);

        UpstreamConnectResult second = await Connector.ConnectAsync(selection);
        using Socket secondSocket = Assert.IsType<Socket>(second.Socket);
        Assert.True(second.UsedFallbackPort);
        Assert.NotEqual(40201, ((IPEndPoint)secondSocket.LocalEndPoint!).Port);
    }

    /// <summary>A port inside this namespace's ip_local_port_range (where connect can reserve it).</summary>
    private static int PortInLocalRange(int offset)
    {
        string[] range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        int low = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        int high = int.Parse(range[1], System.Globalization.CultureInfo.InvariantCulture);
        return low + ((high - low) / 2) + offset;
    }

    [Fact]
    public async Task The_client_port_is_reserved_at_connect_so_other_targets_can_share_it()
    {
        // With a plain bind() the second connection could not have the same address and port.
        using Socket listenerA = Loopback.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        using Socket listenerB = Loopback.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        var client = new IPEndPoint(IPAddress.Parse("127.0.0.94"), PortInLocalRange(11));
        UpstreamConnectResult a = await Connector.ConnectAsync(new TargetSelection((IPEndPoint)listenerA.LocalEndPoint!, client, null));
        UpstreamConnectResult b = await Connector.ConnectAsync(new TargetSelection((IPEndPoint)listenerB.LocalEndPoint!, client, null));
        using Socket socketA = Assert.IsType<Socket>(a.Socket);
        using Socket socketB = Assert.IsType<Socket>(b.Socket);
        Assert.Equal(client, socketA.LocalEndPoint);
        Assert.Equal(client, socketB.LocalEndPoint);
        Assert.False(a.UsedFallbackPort);
        Assert.False(b.UsedFallbackPort);
    }

    [Fact]
    public async Task A_port_another_socket_bound_on_another_address_is_still_the_clients()
    {
        // The bind-owned port cannot be reserved at connect; the plain bind() still gets it.
        int port = PortInLocalRange(12);
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.96"), port));
        using Socket listener = Loopback.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        var client = new IPEndPoint(IPAddress.Parse("127.0.0.95"), port);
        UpstreamConnectResult result = await Connector.ConnectAsync(new TargetSelection((IPEndPoint)listener.LocalEndPoint!, client, null));
        using Socket upstream = Assert.IsType<Socket>(result.Socket);
        Assert.Equal(client, upstream.LocalEndPoint);
        Assert.False(result.UsedFallbackPort);
    }

    [Fact]
    public async Task Refused_says_nothing_listens_there()
    {
        IPEndPoint target;
        using (Socket listener = Loopback.Listen(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            target = (IPEndPoint)listener.LocalEndPoint!;
        }

        UpstreamConnectResult result = await Connector.ConnectAsync(new TargetSelection(target, null, null));
        Assert.Equal(UpstreamConnectError.Refused, result.Error);
        Assert.Equal($"connection refused: nothing listens on {target}", result.Message);
    }

    [Fact]
    public async Task Timeout_from_a_spoofed_ipv4_source_gives_the_ipv4_routing_fix()
    {
        (Socket listener, Socket filler) = await FullListenerAsync(IPAddress.Loopback);
        using (listener)
        using (filler)
        {
            UpstreamConnectResult result = await Impatient.ConnectAsync(
                new TargetSelection((IPEndPoint)listener.LocalEndPoint!, IPEndPoint.Parse("198.18.0.9:40202"), null)).AsTask().WaitAsync(Loopback.Deadline);
            Assert.Equal(UpstreamConnectError.TimedOut, result.Error);
            Assert.Contains("ip rule add from 127.0.0.1/8 iif lo table 123", result.Message, StringComparison.Ordinal);
            Assert.Contains("ip route add local 0.0.0.0/0 dev lo table 123", result.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Timeout_from_a_spoofed_ipv6_source_gives_the_ipv6_routing_fix()
    {
        (Socket listener, Socket filler) = await FullListenerAsync(IPAddress.IPv6Loopback);
        using (listener)
        using (filler)
        {
            UpstreamConnectResult result = await Impatient.ConnectAsync(
                new TargetSelection((IPEndPoint)listener.LocalEndPoint!, IPEndPoint.Parse("[2001:db8::9]:40203"), null)).AsTask().WaitAsync(Loopback.Deadline);
            Assert.Equal(UpstreamConnectError.TimedOut, result.Error);
            Assert.Contains("ip -6 rule add from ::1/128 iif lo table 123", result.Message, StringComparison.Ordinal);
            Assert.Contains("ip -6 route add local ::/0 dev lo table 123", result.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Timeout_without_spoofing_does_not_blame_routing()
    {
        (Socket listener, Socket filler) = await FullListenerAsync(IPAddress.Loopback);
        using (listener)
        using (filler)
        {
            UpstreamConnectResult result = await Impatient.ConnectAsync(
                new TargetSelection((IPEndPoint)listener.LocalEndPoint!, null, null)).AsTask().WaitAsync(Loopback.Deadline);
            Assert.Equal(UpstreamConnectError.TimedOut, result.Error);
            Assert.DoesNotContain("ip rule", result.Message, StringComparison.Ordinal);
        }
    }
}
