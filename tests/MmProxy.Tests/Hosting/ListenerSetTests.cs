using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MmProxy.Configuration.ConfigFile;
using MmProxy.Diagnostics;
using MmProxy.Hosting;
using MmProxy.Tests.TestSupport;
using MmProxy.Udp;

namespace MmProxy.Tests.Hosting;

/// <summary>Reloads applied to real sockets on loopback: which ports listen afterwards.</summary>
public sealed class ListenerSetTests
{
    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static IReadOnlyList<ListenerUnit> Units(params int[] ports)
    {
        string listeners = string.Join(",", ports.Select(p => string.Create(CultureInfo.InvariantCulture, $$"""{"listen": "127.0.0.1:{{p}}"}""")));
        ConfigLoadResult result = ConfigFileLoader.Parse("{\"listeners\": [" + listeners + "]}", "t.json", "/");
        Assert.True(result.Succeeded, result.Error);
        return result.Config!.Units();
    }

    private static bool Listening(int port)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            s.Connect(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return false;
        }
    }

    private static async Task<ListenerSet> StartAsync(ListLoggerFactory logs, IReadOnlyList<ListenerUnit> units)
    {
        var set = new ListenerSet(new ProxyCounters(), new UdpCounters(), logs.CreateLogger(LogCategories.Proxy), TimeProvider.System, new FileConfigSource("/etc/mmproxy/test.json"));
        Assert.Null(await set.OpenAllAsync(units));
        set.Start(logs, logs.CreateLogger(LogCategories.Proxy));
        return set;
    }

    [Fact]
    public async Task Reload_opens_new_ports_closes_removed_ones_and_keeps_the_rest()
    {
        int a = FreePort(), b = FreePort(), c = FreePort();
        using var logs = new ListLoggerFactory();
        await using ListenerSet set = await StartAsync(logs, Units(a, b));
        Assert.True(Listening(a) && Listening(b) && !Listening(c));

        Assert.Null(await set.ApplyAsync(ReloadPlan.Create(set.Units.ToArray(), Units(a, c))));
        Assert.True(Listening(a), "kept");
        Assert.False(Listening(b), "removed");
        Assert.True(Listening(c), "added");
        Assert.Equal(2, set.Count);
    }

    [Fact]
    public async Task A_port_that_cannot_be_bound_rejects_the_whole_reload()
    {
        int a = FreePort(), b = FreePort(), taken = FreePort();
        using Socket squatter = Loopback.Listen(new IPEndPoint(IPAddress.Loopback, taken));
        using var logs = new ListLoggerFactory();
        await using ListenerSet set = await StartAsync(logs, Units(a));

        // b would open, taken cannot: b closes again and a (which the new file drops) stays.
        string? error = await set.ApplyAsync(ReloadPlan.Create(set.Units.ToArray(), Units(b, taken)));
        Assert.NotNull(error);
        Assert.Contains("listeners[1]", error, StringComparison.Ordinal);
        Assert.Contains("already in use", error, StringComparison.Ordinal);
        Assert.True(Listening(a), "the running configuration stays");
        Assert.False(Listening(b), "ports of the rejected reload close again");
        Assert.Equal(["tcp 127.0.0.1:" + a], set.Units.Select(u => u.Key));
    }

    [Fact]
    public async Task Changed_settings_reopen_the_port_with_them()
    {
        int a = FreePort();
        using var logs = new ListLoggerFactory();
        await using ListenerSet set = await StartAsync(logs, Units(a));
        ConfigLoadResult next = ConfigFileLoader.Parse(
            string.Create(CultureInfo.InvariantCulture, $$"""{"listeners": [{"listen": "127.0.0.1:{{a}}", "ipv4": "127.0.0.1:9", "mark": 7}]}"""), "t.json", "/");
        ReloadPlan plan = ReloadPlan.Create(set.Units.ToArray(), next.Config!.Units());
        Assert.Single(plan.Reopen);
        Assert.Null(await set.ApplyAsync(plan));
        Assert.True(Listening(a));
        ListenerUnit unit = Assert.Single(set.Units);
        Assert.Equal(7u, unit.Options.Mark);
        Assert.Equal(9, unit.Options.TargetV4.Port);
    }
}
