using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>
/// The header, connect and idle timeouts on a fake clock: the sockets are real, time moves only by
/// hand. Just before a deadline the connection is still open; just after it, it is reset, counted
/// and logged. Traffic postpones the idle timeout.
/// </summary>
public sealed class TcpTimeoutTests
{
    private static readonly TimeSpan JustUnder = TimeSpan.FromMilliseconds(1);

    [Theory]
    [InlineData("")]
    [InlineData("PROXY TCP4")]
    public async Task A_header_not_complete_within_the_header_timeout_is_reset_counted_and_logged(string sent)
    {
        var time = new FakeTimeProvider();
        await using var rig = TcpLoopRig.Start(o => o.HeaderTimeout = TimeSpan.FromSeconds(5), time: time);
        using Socket client = await rig.ConnectAsync();
        await Loopback.SendAllAsync(client, Encoding.ASCII.GetBytes(sent));
        await rig.SettleAsync();

        time.Advance(TimeSpan.FromSeconds(5) - JustUnder);
        await rig.SyncAsync();
        Loopback.AssertStillOpen(client, "just before the header timeout");
        Assert.Equal(1, rig.Loop.Active);
        Assert.Equal(0, rig.Counters.HeaderTimedOut);

        time.Advance(JustUnder * 2);
        await rig.SyncAsync();
        Assert.Equal(0, rig.Loop.Active);
        Assert.Equal(1, rig.Counters.HeaderTimedOut);
        Assert.True(rig.Logged(102, $"no complete PROXY header within 5000 ms ({sent.Length} byte(s) received)"), rig.Logs.Dump());
        await Loopback.AssertResetAsync(client);
        rig.AssertNoUpstreamConnection();
    }

    [Fact]
    public async Task An_idle_connection_is_reset_on_both_sides_after_the_idle_timeout_and_traffic_postpones_it()
    {
        var time = new FakeTimeProvider();
        TimeSpan idle = TimeSpan.FromSeconds(10);
        await using var rig = TcpLoopRig.Start(o => o.IdleTimeout = idle, time: time);
        (Socket client, Socket server) = await rig.OpenAsync("x");
        using (client)
        using (server)
        {
            await rig.SettleAsync();

            // Activity in each direction, each time just before the connection would be idle too long.
            for (int i = 0; i < 2; i++)
            {
                time.Advance(idle - JustUnder);
                await rig.SyncAsync();
                Loopback.AssertStillOpen(client, $"round {i}");
                Loopback.AssertStillOpen(server, $"round {i}");
                Socket from = i == 0 ? client : server;
                Socket to = i == 0 ? server : client;
                await Loopback.SendAllAsync(from, "k"u8.ToArray());
                Assert.Equal("k", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(to, 1)));
                await rig.SettleAsync();
            }

            time.Advance(idle - JustUnder);
            await rig.SyncAsync();
            Loopback.AssertStillOpen(client, "just before the idle timeout");
            Assert.Equal(1, rig.Loop.Active);

            time.Advance(JustUnder * 2);
            await rig.SyncAsync();
            Assert.Equal(0, rig.Loop.Active);
            await Loopback.AssertResetAsync(client);
            await Loopback.AssertResetAsync(server);
        }

        Assert.True(rig.Logged(108, "closed after 10000 ms idle"), rig.Logs.Dump());
        Assert.Equal(0, rig.Counters.Reset);
        Assert.Equal(0, rig.Counters.Completed);
        Assert.Equal(1 + 2, rig.Counters.BytesToUpstream + rig.Counters.BytesToClient);
    }

    [Theory]
    [InlineData("PROXY TCP4 198.18.0.9 127.0.0.1 40082 443\r\n", false,
        "replies are not routed back to loopback: add `ip rule add from 127.0.0.1/8 iif lo table 123` and `ip route add local 0.0.0.0/0 dev lo table 123`")]
    [InlineData("PROXY TCP6 2001:db8::9 ::1 40083 443\r\n", true,
        "replies are not routed back to loopback: add `ip -6 rule add from ::1/128 iif lo table 123` and `ip -6 route add local ::/0 dev lo table 123`")]
    [InlineData("PROXY UNKNOWN\r\n", false, ": is the service up and reachable?")]
    public async Task A_black_holed_connect_is_given_up_at_the_connect_timeout_with_the_fix(string header, bool v6, string fix)
    {
        (Socket hole, Socket filler) = await BlackHoleAsync(v6 ? IPAddress.IPv6Loopback : IPAddress.Loopback);
        using (hole)
        using (filler)
        {
            var target = (IPEndPoint)hole.LocalEndPoint!;
            var time = new FakeTimeProvider();
            await using var rig = TcpLoopRig.Start(
                o =>
                {
                    o.ConnectTimeout = TimeSpan.FromSeconds(5);
                    if (v6)
                    {
                        o.TargetV6 = target;
                    }
                    else
                    {
                        o.TargetV4 = target;
                    }
                },
                time: time);
            using Socket client = await rig.ConnectAsync();
            await Loopback.SendAllAsync(client, Encoding.ASCII.GetBytes(header));
            await rig.SettleAsync();

            time.Advance(TimeSpan.FromSeconds(5) - JustUnder);
            await rig.SyncAsync();
            Loopback.AssertStillOpen(client, "just before the connect timeout");
            Assert.Equal(0, rig.Counters.UpstreamFailed);

            time.Advance(JustUnder * 2);
            await rig.SyncAsync();
            Assert.Equal(0, rig.Loop.Active);
            await Loopback.AssertResetAsync(client);
            Assert.Equal(1, rig.Counters.UpstreamFailed);
            Assert.Equal(1, rig.Counters.UpstreamTimedOut);
            Assert.True(rig.Logged(104, $"cannot connect to {target}: no answer from {target} within 5000 ms{(fix.StartsWith(':') ? "" : ": ")}{fix}"), rig.Logs.Dump());
        }
    }

    /// <summary>A listener whose accept queue is full: further SYNs are dropped (no RST), so connects to it hang.</summary>
    private static async Task<(Socket Hole, Socket Filler)> BlackHoleAsync(IPAddress address)
    {
        var hole = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        hole.Bind(new IPEndPoint(address, 0));
        hole.Listen(0);
        var filler = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await filler.ConnectAsync(hole.LocalEndPoint!).WaitAsync(Loopback.Deadline);
        return (hole, filler);
    }
}
