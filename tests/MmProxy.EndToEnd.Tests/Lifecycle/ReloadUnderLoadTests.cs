using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Hardening.Support;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.EndToEnd.Tests.Udp;
using Xunit.Abstractions;

namespace MmProxy.EndToEnd.Tests.Lifecycle;

/// <summary>
/// SIGHUP every 100 ms for 30 s while 50 TCP connections stream and 50 UDP flows run through one
/// --config process: every reload alternates the configuration (the allowed subnets change under the
/// running sockets, and a second TCP port opens and closes), and still no connection fails, no byte or
/// datagram is lost, and the proxy's sockets and event loops end where they started.
/// </summary>
public sealed class ReloadUnderLoadTests(ITestOutputHelper output)
{
    private const int Connections = 50;
    private const int Flows = 50;
    private const int ChunkBytes = 16 * 1024;
    private const int ExtraPort = 7100;
    private static readonly TimeSpan LoadTime = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReloadEvery = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public Task Reloads_every_100_ms_for_30_s_lose_no_connection_no_byte_and_no_descriptor() => UdpE2ERun(async (net, udp) =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        UdpUpstream udpUpstream = udp.StartUpstream(UdpUpstreamMode.Echo);
        string config = Path.Combine(net.TempDir, "mmproxy.json");
        WriteConfig(net, config, extraPort: false);
        BackgroundProcess proxy = await ConfigProxy.StartAsync(net, config, [TestNetwork.ProxyPort]);
        await net.WaitUdpBoundAsync(net.ServerNs, TestNetwork.ProxyPort, proxy);
        (int Sockets, int Loops) before = (ProcessProbe.Sockets(proxy.Id), EventLoopFds(proxy.Id));

        using var stop = new CancellationTokenSource();
        Task<long>[] streams = [.. Enumerable.Range(0, Connections).Select(i => StreamAsync(net, i, stop.Token))];
        Task<long>[] flows = [.. Enumerable.Range(0, Flows).Select(i => FlowAsync(net, udp, i, stop.Token))];

        // The reloads: paced by a timer (the pacing is the scenario; every check below waits on its event).
        int reloads = 0;
        var clock = Stopwatch.StartNew();
        using (var pace = new PeriodicTimer(ReloadEvery))
        {
            while (clock.Elapsed < LoadTime && await pace.WaitForNextTickAsync())
            {
                reloads++;
                WriteConfig(net, config, extraPort: reloads % 2 == 1);
                await ConfigProxy.HangUpAsync(proxy);
                Assert.False(proxy.HasExited, proxy.Output);
                if (streams.Concat<Task>(flows).FirstOrDefault(t => t.IsFaulted) is { } failed)
                {
                    Assert.Fail($"after {reloads} reloads: {failed.Exception!.InnerException}");
                }
            }
        }

        // Back to the first configuration, and one last reload seen through to its end.
        WriteConfig(net, config, extraPort: false);
        int reloaded = ConfigProxy.Count(proxy.Output, "Reloaded ");
        await ConfigProxy.ReloadAsync(proxy, "Reloaded ", reloaded + 1);
        await stop.CancelAsync();
        long[] streamed = await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(60));
        long[] echoed = await Task.WhenAll(flows).WaitAsync(TimeSpan.FromSeconds(60));

        output.WriteLine($"{reloads} reloads in {clock.Elapsed.TotalSeconds:F1} s ({ConfigProxy.Count(proxy.Output, "Reloaded ")} applied); " +
            $"TCP {streamed.Sum() / (1 << 20)} MiB echoed over {Connections} connections; UDP {echoed.Sum()} datagrams echoed over {Flows} flows");
        Assert.True(reloads >= 250, $"only {reloads} reloads in {LoadTime.TotalSeconds} s");
        Assert.All(streamed, bytes => Assert.True(bytes > 0, "a connection moved nothing"));
        Assert.All(echoed, count => Assert.True(count > 0, "a flow echoed nothing"));
        Assert.Equal(echoed.Sum(), udpUpstream.Count);
        // Nothing was rejected, reset, dropped or refused: not a single warning or error line.
        foreach (string level in new[] { " warn: ", " fail: ", " crit: " })
        {
            Assert.True(ConfigProxy.Count(proxy.Output, level) == 0, $"the proxy logged{level.TrimEnd()}:\n{string.Join('\n', proxy.Output.Split('\n').Where(l => l.Contains(level, StringComparison.Ordinal)).Take(10))}");
        }

        // TCP connections are closed; UDP flows expire after closeAfter (1 s): then everything is back.
        int sockets = await ProcessProbe.WaitForAsync(() => ProcessProbe.Sockets(proxy.Id), n => n <= before.Sockets, TimeSpan.FromSeconds(20));
        Assert.True(sockets == before.Sockets, $"the proxy holds {sockets} sockets, {before.Sockets} before the load ({ProcessProbe.DescribeFds(proxy.Id)})");
        int loops = await ProcessProbe.WaitForAsync(() => EventLoopFds(proxy.Id), n => n <= before.Loops, TimeSpan.FromSeconds(20));
        Assert.True(loops == before.Loops, $"the proxy holds {loops} epoll/eventfd descriptors, {before.Loops} before the load ({ProcessProbe.DescribeFds(proxy.Id)})");
        Assert.False(proxy.HasExited, proxy.Output);
    });

    private static Task UdpE2ERun(Func<TestNetwork, UdpE2E, Task> body) => UdpE2E.RunAsync(body);

    /// <summary>Two configurations to alternate between: the second allows one more subnet and opens a second TCP port.</summary>
    private static void WriteConfig(TestNetwork net, string path, bool extraPort)
    {
        string subnets = extraPort
            ? $"[\"{net.ClientV4}/32\", \"{net.ClientV6}/128\", \"198.51.100.0/24\"]"
            : $"[\"{net.ClientV4}/32\", \"{net.ClientV6}/128\"]";
        string target = $"\"ipv4\": \"127.0.0.1:{TestNetwork.UpstreamPort}\", \"ipv6\": \"[::1]:{TestNetwork.UpstreamPort}\"";
        var listeners = new List<string>
        {
            $"{{\"name\": \"tcp\", \"listen\": \"[::]:{TestNetwork.ProxyPort}\", {target}, \"allowedSubnets\": {subnets}}}",
            $"{{\"name\": \"udp\", \"protocol\": \"udp\", \"listen\": \"[::]:{TestNetwork.ProxyPort}\", {target}, \"allowedSubnets\": {subnets}, \"closeAfter\": \"1s\", \"maxUdpFlows\": 256}}",
        };
        if (extraPort)
        {
            listeners.Add($"{{\"name\": \"extra\", \"listen\": \"[::]:{ExtraPort}\", {target}, \"allowedSubnets\": {subnets}}}");
        }

        // Written whole, then renamed over the old file: a reload never reads half a file.
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, "{\"listeners\": [\n" + string.Join(",\n", listeners) + "\n]}\n");
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>One connection streaming chunks and checking every echoed byte until stopped; returns the bytes echoed.</summary>
    private static async Task<long> StreamAsync(TestNetwork net, int index, CancellationToken stop)
    {
        AddressFamily family = index % 2 == 0 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        using Socket s = await net.ConnectThroughProxyAsync(family);
        byte[] chunk = new byte[ChunkBytes];
        long total = 0;
        for (int round = 0; !stop.IsCancellationRequested; round++)
        {
            Fill(chunk, index, round);
            await Streams.SendAllAsync(s, chunk);
            using var timeout = new CancellationTokenSource(ReplyTimeout);
            byte[] back = await Streams.ReceiveExactlyAsync(s, ChunkBytes, timeout.Token);
            Assert.True(back.AsSpan().SequenceEqual(chunk), $"connection {index}, round {round}: the echo differs from what was sent");
            total += ChunkBytes;
        }

        s.Shutdown(SocketShutdown.Send);
        using var end = new CancellationTokenSource(ReplyTimeout);
        ReceiveResult rest = await Streams.ReceiveAsync(s, ct: end.Token);
        Assert.True(rest.End == StreamEnd.Eof && rest.Bytes == 0, $"connection {index} ended with {rest.End} ({rest.Error}) after {rest.Bytes} more bytes");
        return total;
    }

    /// <summary>One flow: a numbered datagram, its echo, the next; every one must come back. Returns the datagrams echoed.</summary>
    private static async Task<long> FlowAsync(TestNetwork net, UdpE2E udp, int index, CancellationToken stop)
    {
        bool v6 = index % 2 == 1;
        var client = v6
            ? new IPEndPoint(IPAddress.Parse($"2001:db8:ffff:77::{index + 1:x}"), 30000 + index)
            : new IPEndPoint(IPAddress.Parse($"203.0.113.{index + 1}"), 30000 + index);
        IPAddress proxyAddress = net.Server(v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
        UdpClientSession session = udp.Own(new UdpClientSession(net, new IPEndPoint(proxyAddress, TestNetwork.ProxyPort), client));
        long count = 0;
        for (long seq = 0; !stop.IsCancellationRequested; seq++)
        {
            string payload = string.Create(CultureInfo.InvariantCulture, $"flow{index}-{seq}");
            await session.SendAsync(Encoding.ASCII.GetBytes(payload));
            byte[]? reply = await session.ReceiveAsync(ReplyTimeout);
            Assert.True(reply is not null, $"flow {index} ({client}): no reply to datagram {seq} within {ReplyTimeout.TotalSeconds} s");
            Assert.Equal($"{client}|{payload}", Encoding.ASCII.GetString(reply));
            count++;
        }

        return count;
    }

    private static void Fill(byte[] chunk, int connection, int round)
    {
        uint x = (uint)((connection * 7919) + (round * 104729) + 1);
        for (int i = 0; i < chunk.Length; i++)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            chunk[i] = (byte)x;
        }
    }

    /// <summary>The descriptors of the proxy's event loops: one epoll instance and one eventfd each.</summary>
    private static int EventLoopFds(int pid)
    {
        int count = 0;
        foreach (string fd in Directory.GetFileSystemEntries($"/proc/{pid}/fd"))
        {
            try
            {
                string? target = new FileInfo(fd).LinkTarget;
                if (target is "anon_inode:[eventpoll]" or "anon_inode:[eventfd]")
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }

        return count;
    }
}
