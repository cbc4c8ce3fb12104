using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>
/// The upstream connection keeps the client's port: reserved at connect inside the local port
/// range, bound otherwise (or when another socket holds the port); port 0 leaves the choice to the
/// kernel; a port in use here falls back to a kernel-chosen one, and says so.
/// </summary>
public sealed class TcpClientPortTests
{
    /// <summary>A port below ip_local_port_range (always bound, never reserved at connect).</summary>
    private static int PortBelowLocalRange()
    {
        (int low, _) = TcpLoopRig.LocalPortRange();
        Assert.True(low > 2000, "ip_local_port_range starts too low for these tests");
        return Random.Shared.Next(low - 1000, low);
    }

    private static async Task<Socket> SendHeaderAsync(TcpLoopRig rig, IPEndPoint source)
    {
        Socket client = await rig.ConnectAsync();
        await Loopback.SendAllAsync(client, Encoding.ASCII.GetBytes($"PROXY TCP4 {source.Address} 127.0.0.1 {source.Port} 443\r\n"));
        return client;
    }

    [Theory]
    [InlineData("reserved at connect")]
    [InlineData("bound: another socket holds the port")]
    [InlineData("bound: outside the local port range")]
    public async Task The_client_port_is_kept_whether_reserved_at_connect_or_bound(string how)
    {
        // A port some socket bind()s (here on another address) cannot be reserved at connect: the
        // loop then binds it, and the upstream still sees the client's exact port.
        bool held = how.Contains("holds", StringComparison.Ordinal);
        var source = new IPEndPoint(TcpLoopRig.NewClientAddress(), how.Contains("outside", StringComparison.Ordinal) ? PortBelowLocalRange() : TcpLoopRig.FreeClientPort());
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (held)
        {
            holder.Bind(new IPEndPoint(TcpLoopRig.NewClientAddress(), source.Port));
        }

        await using var rig = TcpLoopRig.Start();
        using Socket client = await SendHeaderAsync(rig, source);
        using Socket server = await rig.AcceptAsync();
        Assert.Equal(source, server.RemoteEndPoint);
        await Loopback.SendAllAsync(client, "ok"u8.ToArray());
        Assert.Equal("ok", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 2)));
        Assert.False(rig.Logs.Has(105), rig.Logs.Dump());
    }

    [Fact]
    public async Task A_client_port_reserved_at_connect_is_shared_by_connections_to_other_targets()
    {
        // With a plain bind() the second connection could not have the same address and port.
        IPEndPoint source = TcpLoopRig.NewClientEndPoint();
        await using var first = TcpLoopRig.Start();
        await using var second = TcpLoopRig.Start();
        using Socket firstClient = await SendHeaderAsync(first, source);
        using Socket firstServer = await first.AcceptAsync();
        using Socket secondClient = await SendHeaderAsync(second, source);
        using Socket secondServer = await second.AcceptAsync();
        Assert.Equal(source, firstServer.RemoteEndPoint);
        Assert.Equal(source, secondServer.RemoteEndPoint);
        Assert.False(first.Logs.Has(105), first.Logs.Dump());
        Assert.False(second.Logs.Has(105), second.Logs.Dump());
    }

    [Fact]
    public async Task Client_port_zero_lets_the_kernel_choose()
    {
        await using var rig = TcpLoopRig.Start();
        IPAddress address = TcpLoopRig.NewClientAddress();
        using Socket client = await SendHeaderAsync(rig, new IPEndPoint(address, 0));
        using Socket server = await rig.AcceptAsync();
        var remote = (IPEndPoint)server.RemoteEndPoint!;
        Assert.Equal(address, remote.Address);
        Assert.NotEqual(0, remote.Port);
        Assert.False(rig.Logs.Has(105), rig.Logs.Dump());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_port_in_use_here_falls_back_to_a_kernel_chosen_port_and_logs_it(bool insideLocalRange)
    {
        // A listening socket holds the client's address and port.
        var source = new IPEndPoint(TcpLoopRig.NewClientAddress(), insideLocalRange ? TcpLoopRig.FreeClientPort() : PortBelowLocalRange());
        using Socket holder = Loopback.Listen(source);
        await using var rig = TcpLoopRig.Start();
        using Socket client = await SendHeaderAsync(rig, source);
        using Socket server = await rig.AcceptAsync();
        var remote = (IPEndPoint)server.RemoteEndPoint!;
        Assert.Equal(source.Address, remote.Address);
        Assert.NotEqual(source.Port, remote.Port);
        Assert.True(rig.Logged(105, $"Client port of {source} is in use locally; connecting to {rig.UpstreamEndPoint} from a kernel-chosen port"), rig.Logs.Dump());

        // The connection works from the other port.
        await Loopback.SendAllAsync(client, "via"u8.ToArray());
        Assert.Equal("via", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 3)));
    }

    [Fact]
    public async Task A_taken_four_tuple_falls_back_to_a_kernel_chosen_port_and_logs_it()
    {
        // The same client address and port to the same target twice: the second cannot have it.
        IPEndPoint source = TcpLoopRig.NewClientEndPoint();
        await using var rig = TcpLoopRig.Start();
        using Socket firstClient = await SendHeaderAsync(rig, source);
        using Socket firstServer = await rig.AcceptAsync();
        Assert.Equal(source, firstServer.RemoteEndPoint);
        Assert.False(rig.Logs.Has(105), rig.Logs.Dump());

        using Socket secondClient = await SendHeaderAsync(rig, source);
        using Socket secondServer = await rig.AcceptAsync();
        var remote = (IPEndPoint)secondServer.RemoteEndPoint!;
        Assert.Equal(source.Address, remote.Address);
        Assert.NotEqual(source.Port, remote.Port);
        Assert.True(rig.Logged(105, $"Client port of {source} is in use locally"), rig.Logs.Dump());
        await Loopback.SendAllAsync(secondClient, "2nd"u8.ToArray());
        Assert.Equal("2nd", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(secondServer, 3)));
    }
}
