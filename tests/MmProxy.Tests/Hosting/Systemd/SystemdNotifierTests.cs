using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using MmProxy.Hosting.Systemd;

namespace MmProxy.Tests.Hosting.Systemd;

public sealed class SystemdNotifierTests
{
    private static async Task<string> ReceiveAsync(Socket socket)
    {
        byte[] buffer = new byte[4096];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    private static Socket Listen(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    [Fact]
    public async Task Sends_to_an_abstract_socket_named_with_at()
    {
        string name = $"mmt-notify-{Environment.ProcessId}-{Guid.NewGuid():N}";
        using Socket listener = Listen("\0" + name);
        using SystemdNotifier notifier = SystemdNotifier.Create("@" + name)!;
        Assert.Null(notifier.Ready("Listening on 127.0.0.1:7000"));
        Assert.Equal($"READY=1\nSTATUS=Listening on 127.0.0.1:7000\nMAINPID={Environment.ProcessId}", await ReceiveAsync(listener));
        Assert.Null(notifier.Stopping("bye"));
        Assert.Equal("STOPPING=1\nSTATUS=bye", await ReceiveAsync(listener));
        Assert.Null(notifier.Stopping("draining", TimeSpan.FromSeconds(35)));
        Assert.Equal("STOPPING=1\nSTATUS=draining\nEXTEND_TIMEOUT_USEC=35000000", await ReceiveAsync(listener));
    }

    [Fact]
    public async Task Sends_to_a_socket_path()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mmt-notify-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        try
        {
            using Socket listener = Listen(path);
            using SystemdNotifier notifier = SystemdNotifier.Create(path)!;
            Assert.Null(notifier.Watchdog());
            Assert.Equal("WATCHDOG=1", await ReceiveAsync(listener));
            Assert.Null(notifier.Reloading());
            string reloading = await ReceiveAsync(listener);
            Assert.StartsWith("RELOADING=1\nMONOTONIC_USEC=", reloading, StringComparison.Ordinal);
            long usec = long.Parse(reloading.Split('=')[^1], System.Globalization.CultureInfo.InvariantCulture);
            // CLOCK_MONOTONIC: the same clock /proc/uptime counts (give or take a second).
            double uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(usec / 1e6, uptime - 5, uptime + 5);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("@")]
    [InlineData("relative/path")]
    public void No_usable_address_means_no_notifier(string? address)
    {
        Assert.Null(SystemdNotifier.Create(address));
    }

    [Fact]
    public void A_missing_socket_is_a_reported_failure_not_an_exception()
    {
        using SystemdNotifier notifier = SystemdNotifier.Create("/nonexistent/mmt-notify.sock")!;
        Assert.Contains("/nonexistent/mmt-notify.sock", notifier.Ready("x"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4000000", null, 2000)]
    [InlineData("4000000", "SELF", -1)]
    [InlineData("4000000", "1", -1)]
    [InlineData("0", null, -1)]
    [InlineData(null, null, -1)]
    [InlineData("junk", null, -1)]
    public void Watchdog_interval_is_half_the_timeout_for_our_pid(string? usec, string? pid, int expectedMs)
    {
        string? pidText = pid == "SELF" ? Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) : pid;
        TimeSpan? interval = WatchdogSettings.PingInterval(usec, pidText, pid == "SELF" ? Environment.ProcessId : Environment.ProcessId + 1);
        if (pid == "SELF")
        {
            Assert.Equal(TimeSpan.FromSeconds(2), interval);
        }
        else if (expectedMs < 0)
        {
            Assert.Null(interval);
        }
        else
        {
            Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), interval);
        }
    }

    [Fact]
    public async Task Integration_pings_the_watchdog_after_ready_until_disposed()
    {
        string name = $"mmt-notify-{Environment.ProcessId}-{Guid.NewGuid():N}";
        using Socket listener = Listen("\0" + name);
        var integration = new SystemdIntegration(SystemdNotifier.Create("@" + name), TimeSpan.FromMilliseconds(50), NullLogger.Instance);
        await using (integration)
        {
            integration.Ready("up");
            Assert.StartsWith("READY=1\n", await ReceiveAsync(listener), StringComparison.Ordinal);
            Assert.Equal("WATCHDOG=1", await ReceiveAsync(listener));
            Assert.Equal("WATCHDOG=1", await ReceiveAsync(listener));
            integration.Stopping("down");
        }

        // After disposal no more pings: drain what was sent, then expect silence.
        listener.Blocking = false;
        byte[] buffer = new byte[256];
        var seen = new List<string>();
        while (listener.Available > 0)
        {
            seen.Add(Encoding.UTF8.GetString(buffer, 0, listener.Receive(buffer)));
        }

        Assert.Contains("STOPPING=1\nSTATUS=down", seen);
    }
}
