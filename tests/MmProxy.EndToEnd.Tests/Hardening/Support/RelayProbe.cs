using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.ProxyProtocol;

namespace MmProxy.EndToEnd.Tests.Hardening.Support;

/// <summary>A legitimate connection through the proxy to an echo upstream, checked end to end.</summary>
internal static class RelayProbe
{
    private static int _counter;

    /// <summary>
    /// Connects from the client namespace, claims a unique client address (v1 or v2, IPv4 or IPv6),
    /// sends a payload and checks the echo and the address the upstream saw. Returns a failure
    /// description, or null when everything was right.
    /// </summary>
    public static async Task<string?> TryAsync(TestNetwork net, Upstream upstream, Socket? socket = null, TimeSpan? timeout = null)
    {
        int n = Interlocked.Increment(ref _counter);
        var proxy = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        bool v6 = n % 2 == 0;
        // Claimed addresses: documentation ranges assigned nowhere. Address and port cycle so that no
        // two probes share a 4-tuple upstream (IPv4: 254 addresses and 50,000 ports, so the pair
        // repeats only after lcm(254, 50000) = 6,350,000 probes).
        IPAddress address = v6
            ? IPAddress.Parse($"2001:db8:ffff:77::{(n >> 16) & 0xffff:x}:{n & 0xffff:x}")
            : new IPAddress([203, 0, 113, (byte)(1 + (n % 254))]);
        // Ports from 10000 up: never the proxy's or the upstream's own listening port (the proxy would fall back).
        var claimed = new IPEndPoint(address, 10_000 + (n % 50_000));
        var destination = new IPEndPoint(v6 ? net.ServerV6 : net.ServerV4, TestNetwork.ProxyPort);
        byte[] header = n % 3 == 0
            ? ProxyLines.V1(claimed, destination)
            : ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, v6 ? ProxyFamily.Tcp6 : ProxyFamily.Tcp4,
                ProxyAddress.FromIPEndPoint(claimed), ProxyAddress.FromIPEndPoint(destination));
        byte[] payload = Encoding.ASCII.GetBytes($"probe {n} claiming {claimed}\n");
        using var cts = new CancellationTokenSource(timeout ?? TestNetwork.DefaultTimeout);
        Socket s = socket ?? NetworkNamespace.CreateSocket(net.ClientNs, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            s.NoDelay = true;
            await s.ConnectAsync(proxy, cts.Token);
            byte[] message = [.. header, .. payload];
            await Streams.SendAllAsync(s, message, cts.Token);
            byte[] echoed = await Streams.ReceiveExactlyAsync(s, payload.Length, cts.Token);
            if (!echoed.AsSpan().SequenceEqual(payload))
            {
                return $"probe {n}: wrong echo {Encoding.ASCII.GetString(echoed)}";
            }
            s.Shutdown(SocketShutdown.Send);
            ReceiveResult end = await Streams.ReceiveAsync(s, ct: cts.Token);
            if (end.Bytes != 0 || end.End != StreamEnd.Eof)
            {
                return $"probe {n}: after the echo got {end.Bytes} more byte(s), end {end.End} {end.Error}";
            }
            if (!upstream.Accepted.Any(c => c.Remote.Equals(claimed)))
            {
                return $"probe {n}: the upstream never saw a connection from {claimed}";
            }
            return null;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return $"probe {n} claiming {claimed}: {e.GetType().Name}: {e.Message}";
        }
        finally
        {
            s.Dispose();
        }
    }

    public static async Task AssertRelaysAsync(TestNetwork net, Upstream upstream, string when)
    {
        string? problem = await TryAsync(net, upstream);
        Assert.True(problem is null, $"{when}: a legitimate connection failed: {problem}");
    }
}
