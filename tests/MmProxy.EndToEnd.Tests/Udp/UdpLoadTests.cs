using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MmProxy.EndToEnd.Tests.Udp;

/// <summary>
/// 10^5 datagrams from 100 clients (50 IPv4, 50 IPv6, each behind its own balancer socket), at most
/// 64 in flight: every one reaches the upstream from its client's address and every reply comes
/// back to the right balancer socket, none lost, none misdelivered.
/// </summary>
public sealed class UdpLoadTests(ITestOutputHelper output)
{
    private const int Clients = 100;
    private const int PerClient = 1000;
    private const int Window = 64;

    [Fact]
    public Task Hundred_thousand_datagrams_none_lost_or_misdelivered() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        await net.StartUdpProxyAsync("-v", "1");
        var sessions = new UdpClientSession[Clients];
        for (int i = 0; i < Clients; i++)
        {
            bool v6 = i % 2 == 1;
            IPEndPoint client = v6
                ? new IPEndPoint(IPAddress.Parse($"2001:db8:ffff:1::{i + 1:x}"), 20000 + i)
                : new IPEndPoint(IPAddress.Parse($"203.0.113.{(i / 2) + 1}"), 20000 + i);
            IPAddress proxyAddress = net.Server(v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
            sessions[i] = udp.Own(new UdpClientSession(net, new IPEndPoint(proxyAddress, TestNetwork.ProxyPort), client));
        }

        using var window = new SemaphoreSlim(Window);
        var seen = new bool[Clients, PerClient];
        int received = 0;
        int misdelivered = 0;
        int duplicates = 0;
        var problems = new List<string>();
        var clock = Stopwatch.StartNew();

        Task[] receivers = sessions.Select((session, index) => Task.Run(async () =>
        {
            string prefix = session.Client + "|c" + index + "-";
            for (int k = 0; k < PerClient; k++)
            {
                byte[]? reply = await session.ReceiveAsync(TimeSpan.FromSeconds(10));
                if (reply is null)
                {
                    return;
                }
                string text = Encoding.ASCII.GetString(reply);
                if (!text.StartsWith(prefix, StringComparison.Ordinal) || !int.TryParse(text.AsSpan(prefix.Length), out int seq) || seq is < 0 or >= PerClient)
                {
                    Interlocked.Increment(ref misdelivered);
                    lock (problems)
                    {
                        problems.Add($"session {index} ({session.Client}) got '{text}'");
                    }
                }
                else
                {
                    lock (seen)
                    {
                        if (seen[index, seq])
                        {
                            duplicates++;
                        }
                        seen[index, seq] = true;
                    }
                }
                Interlocked.Increment(ref received);
                window.Release();
            }
        })).ToArray();

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        for (int seq = 0; seq < PerClient; seq++)
        {
            for (int i = 0; i < Clients; i++)
            {
                if (!await window.WaitAsync(TimeSpan.FromSeconds(15), deadline.Token))
                {
                    Assert.Fail($"the window never reopened: {received} replies so far, {Window} outstanding for 15 s (lost datagrams)");
                }
                await sessions[i].SendAsync(Encoding.ASCII.GetBytes("c" + i + "-" + seq));
            }
        }
        await Task.WhenAll(receivers);
        clock.Stop();

        int total = Clients * PerClient;
        output.WriteLine($"{total} datagrams, {received} replies, {misdelivered} misdelivered, {duplicates} duplicates in {clock.ElapsedMilliseconds} ms ({total / clock.Elapsed.TotalSeconds:F0} round trips/s, window {Window})");
        Assert.True(misdelivered == 0, string.Join('\n', problems.Take(10)));
        Assert.Equal(0, duplicates);
        Assert.Equal(total, received);
        Assert.Equal(total, upstream.Count);
        Assert.Equal(sessions.Select(s => s.Client).OrderBy(e => e.ToString()), upstream.Sources.OrderBy(e => e.ToString()));
        Assert.Equal(Clients, await net.CountUdpFlowSocketsAsync());
    });
}
