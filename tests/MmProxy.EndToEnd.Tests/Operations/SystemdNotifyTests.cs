using System.Globalization;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Operations;

/// <summary>Type=notify: the real binary, NOTIFY_SOCKET pointing at a datagram socket the test reads.</summary>
public sealed class SystemdNotifyTests
{
    private static async Task<string> ReceiveAsync(Socket socket, TimeSpan timeout)
    {
        byte[] buffer = new byte[4096];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no sd_notify message within {timeout.TotalSeconds} s");
        }
    }

    [Fact]
    public Task Ready_after_listening_watchdog_pings_and_stopping_on_sigterm() => E2E.RunAsync(async net =>
    {
        // Abstract sockets belong to a network namespace: create ours in the proxy's.
        string name = $"mmt-notify-{Environment.ProcessId}-{Guid.NewGuid():N}";
        using Socket notify = NetworkNamespace.CreateSocket(net.ServerNs, AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint("\0" + name));

        BackgroundProcess p = net.Start("mmproxy", net.ServerNs, "/usr/bin/env",
            ["NOTIFY_SOCKET=@" + name, "WATCHDOG_USEC=300000", ProxyBinary.Path, "-l", "0.0.0.0:7000", "--quiet"]);
        string ready = await ReceiveAsync(notify, TimeSpan.FromSeconds(20));
        // READY=1 only once the listener is bound.
        Assert.Equal(1, await net.CountListenersAsync(net.ServerNs, TestNetwork.ProxyPort));
        Assert.StartsWith("READY=1\n", ready, StringComparison.Ordinal);
        Assert.Contains($"MAINPID={p.Id}", ready, StringComparison.Ordinal);
        Assert.Contains("STATUS=Listening on 0.0.0.0:7000", ready, StringComparison.Ordinal);

        // Watchdog at half of WATCHDOG_USEC: several pings within a second.
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("WATCHDOG=1", await ReceiveAsync(notify, TimeSpan.FromSeconds(5)));
        }
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(2), $"3 pings took {started.Elapsed}");

        await Command.CheckAsync("kill", "-TERM", p.Id.ToString(CultureInfo.InvariantCulture));
        string message;
        do
        {
            message = await ReceiveAsync(notify, TimeSpan.FromSeconds(10));
        }
        while (message == "WATCHDOG=1");
        Assert.StartsWith("STOPPING=1", message, StringComparison.Ordinal);
        // The drain (--shutdown-timeout, 30 s by default) plus 5 s may outlast TimeoutStopSec=: ask for it.
        Assert.EndsWith("\nEXTEND_TIMEOUT_USEC=35000000", message, StringComparison.Ordinal);
        await p.Exited.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, p.ExitCode);
    });

    [Fact]
    public Task Notifies_a_socket_path_and_stays_silent_without_watchdog() => E2E.RunAsync(async net =>
    {
        string path = Path.Combine(net.TempDir, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(path));

        BackgroundProcess p = net.Start("mmproxy", net.ServerNs, "/usr/bin/env",
            ["NOTIFY_SOCKET=" + path, ProxyBinary.Path, "-l", "0.0.0.0:7000", "--quiet"]);
        Assert.StartsWith("READY=1\n", await ReceiveAsync(notify, TimeSpan.FromSeconds(20)), StringComparison.Ordinal);
        await Command.CheckAsync("kill", "-TERM", p.Id.ToString(CultureInfo.InvariantCulture));
        // Without WATCHDOG_USEC the next message is STOPPING=1, not a ping.
        Assert.StartsWith("STOPPING=1", await ReceiveAsync(notify, TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
        await p.Exited.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, p.ExitCode);
    });

    [Fact]
    public Task Udp_mode_notifies_ready_and_serves_udp_metrics() => E2E.RunAsync(async net =>
    {
        string name = $"mmt-notify-{Environment.ProcessId}-{Guid.NewGuid():N}";
        using Socket notify = NetworkNamespace.CreateSocket(net.ServerNs, AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint("\0" + name));

        BackgroundProcess p = net.Start("mmproxy", net.ServerNs, "/usr/bin/env",
            ["NOTIFY_SOCKET=@" + name, ProxyBinary.Path, "-p", "udp", "-l", "0.0.0.0:7000", "--metrics", "127.0.0.1:9100", "--quiet"]);
        string ready = await ReceiveAsync(notify, TimeSpan.FromSeconds(20));
        Assert.StartsWith("READY=1\n", ready, StringComparison.Ordinal);
        Assert.Contains("(udp)", ready, StringComparison.Ordinal);

        await net.WaitListeningAsync(net.ServerNs, 9100, p);
        (int status, string metrics) = await MetricsScraper.GetAsync(net.ServerNs, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9100), "/metrics");
        Assert.Equal(200, status);
        Assert.Equal(0, MetricsScraper.Sample(metrics, "mmproxy_udp_flows_active"));
        Assert.Equal(0, MetricsScraper.Sample(metrics, "mmproxy_udp_flows_created_total"));
        Assert.Equal(0, MetricsScraper.Sample(metrics, "mmproxy_udp_datagrams_dropped_total{reason=\"table_full\"}"));
        (status, _) = await MetricsScraper.GetAsync(net.ServerNs, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9100), "/healthz");
        Assert.Equal(200, status);

        await Command.CheckAsync("kill", "-TERM", p.Id.ToString(CultureInfo.InvariantCulture));
        Assert.StartsWith("STOPPING=1", await ReceiveAsync(notify, TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
        await p.Exited.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, p.ExitCode);
    });
}
