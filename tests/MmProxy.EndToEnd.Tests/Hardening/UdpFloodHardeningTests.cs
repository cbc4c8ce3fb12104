using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Hardening.Support;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.EndToEnd.Tests.Udp;
using MmProxy.ProxyProtocol;
using MmProxy.ProxyProtocol.Tests.Fuzz;

namespace MmProxy.EndToEnd.Tests.Hardening;

/// <summary>
/// UDP through the running process: a flood of garbage and mutated-header datagrams, and of valid
/// datagrams from far more distinct client addresses than --max-udp-flows allows. No crash, the
/// flow bound holds (connected upstream sockets counted with ss), flows opened before the flood keep
/// working (round trips, with a retry: this is UDP under a flood), memory stays flat. (mmproxy-rs
/// aborts on one bad datagram; go-mmproxy crashes on its first flow.) CI: 60,000 datagrams;
/// MMPROXY_HARDENING_FULL=1: 1,000,000 (MMPROXY_HARDENING_UDP_DATAGRAMS overrides).
/// </summary>
public sealed class UdpFloodHardeningTests
{
    private const int MaxFlows = 256;
    private const int Legitimate = 4;
    private const int Burst = 200;
    private const long RssToleranceKb = 24 * 1024;

    private static async Task<string?> RoundTripAsync(UdpClientSession session, string text)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            await session.SendAsync(Encoding.ASCII.GetBytes(text));
            // Replies to earlier attempts may still arrive: skip to the one for this text.
            DateTime deadline = DateTime.UtcNow.AddSeconds(1);
            while (DateTime.UtcNow < deadline)
            {
                byte[]? reply = await session.ReceiveAsync(deadline - DateTime.UtcNow);
                if (reply is not null && Encoding.ASCII.GetString(reply) == $"{session.Client}|{text}")
                {
                    return null;
                }
            }
        }
        return $"no reply to '{text}' from {session.Client} in 3 attempts";
    }

    [Fact]
    public Task Garbage_and_flow_floods_keep_the_bound_and_existing_flows() => UdpE2E.RunAsync(async (net, udp) =>
    {
        long datagrams = HardeningSettings.Size("MMPROXY_HARDENING_UDP_DATAGRAMS", 60_000, 1_000_000);
        UdpUpstream upstream = udp.StartUpstream();
        BackgroundProcess proxy = await net.StartUdpProxyAsync(
        [
            "-p", "udp", "-l", "[::]:" + TestNetwork.ProxyPort, "-4", "127.0.0.1:" + TestNetwork.UpstreamPort, "-6", "[::1]:" + TestNetwork.UpstreamPort,
            "-v", "1", "--close-after", "60", "--max-udp-flows", MaxFlows.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ]);
        int pid = proxy.Id;
        var proxyV4 = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        var proxyV6 = new IPEndPoint(net.ServerV6, TestNetwork.ProxyPort);

        // Flows opened before the flood: they must survive it.
        var sessions = Enumerable.Range(0, Legitimate).Select(i => udp.Own(new UdpClientSession(net, i % 2 == 0 ? proxyV4 : proxyV6,
            i % 2 == 0 ? new IPEndPoint(IPAddress.Parse($"203.0.113.{i + 1}"), 40000 + i) : new IPEndPoint(IPAddress.Parse($"2001:db8:ffff:77::{i + 1}"), 40000 + i)))).ToArray();
        foreach (UdpClientSession s in sessions)
        {
            Assert.Null(await RoundTripAsync(s, "before"));
        }

        using Socket flood = udp.Own(TestNetwork.CreateUdpSocket(net.ClientNs, new IPEndPoint(net.ClientV4, 0)));
        using Socket flood6 = udp.Own(TestNetwork.CreateUdpSocket(net.ClientNs, new IPEndPoint(net.ClientV6, 0)));
        var mutator = new HeaderMutator(new Random(20261122));
        var random = new Random(99);
        var destination = ProxyAddress.FromIPEndPoint(proxyV4);
        var failures = new List<string>();
        long rssWarm = 0, rssMax = 0, maxFlowSockets = 0, newFlowAttempts = 0;
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < datagrams; i++)
        {
            byte[] datagram;
            switch (i % 3)
            {
                case 0:
                    // A mutated header (often still valid: then a new flow, or a drop when the table is full).
                    datagram = [.. mutator.Next(), .. "payload"u8];
                    break;
                case 1:
                    {
                        // A valid header from a never-seen client: a new flow each time.
                        newFlowAttempts++;
                        bool v6 = random.Next(4) == 0;
                        IPEndPoint client = v6
                            ? new IPEndPoint(IPAddress.Parse($"2001:db8:ffff:f::{(i >> 16) & 0xffff:x}:{i & 0xffff:x}"), 1024 + (int)(i % 60000))
                            : new IPEndPoint(new IPAddress([198, 51, 100, (byte)(1 + (i % 254))]), 1024 + (int)(i % 60000));
                        datagram = [.. ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, v6 ? ProxyFamily.Udp6 : ProxyFamily.Udp4,
                            ProxyAddress.FromIPEndPoint(client), v6 ? ProxyAddress.FromIPEndPoint(proxyV6) : destination), .. "new flow"u8];
                        break;
                    }
                default:
                    datagram = new byte[random.Next(0, 1400)];
                    random.NextBytes(datagram);
                    break;
            }
            bool useV6 = (i & 4) != 0;
            try
            {
                await (useV6 ? flood6 : flood).SendToAsync(datagram, SocketFlags.None, useV6 ? proxyV6 : proxyV4);
            }
            catch (SocketException)
            {
                // ICMP errors from earlier datagrams can surface on the sending socket: ignore.
            }

            if (i % Burst == Burst - 1)
            {
                // Pace the flood a little so the legitimate checks below are not a kernel-buffer lottery.
                await Task.Yield();
            }
            if (i == datagrams / 10)
            {
                rssWarm = ProcessProbe.RssKb(pid);
            }
            if (i % (datagrams / 10) == 0 && i > 0)
            {
                rssMax = Math.Max(rssMax, ProcessProbe.RssKb(pid));
                int flows = await net.CountUdpFlowSocketsAsync();
                maxFlowSockets = Math.Max(maxFlowSockets, flows);
                foreach (UdpClientSession s in sessions)
                {
                    if (await RoundTripAsync(s, $"during {i}") is { } problem)
                    {
                        failures.Add(problem);
                    }
                }
                if (proxy.HasExited)
                {
                    break;
                }
            }
        }
        clock.Stop();
        Assert.False(proxy.HasExited, $"the proxy exited (code {(proxy.HasExited ? proxy.ExitCode : 0)}) during the UDP flood");
        foreach (UdpClientSession s in sessions)
        {
            if (await RoundTripAsync(s, "after") is { } problem)
            {
                failures.Add(problem);
            }
        }
        int flowSocketsEnd = await net.CountUdpFlowSocketsAsync();
        maxFlowSockets = Math.Max(maxFlowSockets, flowSocketsEnd);
        long rssEnd = ProcessProbe.RssKb(pid);
        string summary = $"udp-flood: {datagrams} datagrams in {clock.Elapsed.TotalSeconds:F1} s ({newFlowAttempts} from new clients), --max-udp-flows {MaxFlows}: " +
            $"at most {maxFlowSockets} upstream flow sockets, {flowSocketsEnd} at the end; upstream saw {upstream.Sources.Length} distinct sources; " +
            $"RSS warm {rssWarm / 1024} MiB, max {rssMax / 1024} MiB, end {rssEnd / 1024} MiB; legitimate failures {failures.Count}";
        HardeningSettings.Record(summary);
        net.Note(summary);

        Assert.True(failures.Count == 0, $"legitimate flows failed: {string.Join("; ", failures.Take(10))}\n{summary}");
        Assert.True(maxFlowSockets <= MaxFlows, $"flow bound exceeded: {summary}");
        Assert.True(upstream.Sources.Length <= MaxFlows, $"the upstream saw more clients than the flow bound allows: {summary}");
        Assert.Equal(MaxFlows, flowSocketsEnd);
        Assert.True(rssEnd - rssWarm < RssToleranceKb, $"resident memory grew by more than {RssToleranceKb / 1024} MiB after warm-up: {summary}");
        Assert.DoesNotContain("Unhandled exception", proxy.Output, StringComparison.Ordinal);
    });
}
