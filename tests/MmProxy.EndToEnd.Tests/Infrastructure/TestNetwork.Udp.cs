using System.Net;
using System.Net.Sockets;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>The UDP pieces of the fixture: start the proxy in UDP mode, UDP sockets in a namespace, socket counts.</summary>
internal sealed partial class TestNetwork
{
    /// <summary>
    /// Starts the proxy in the server namespace with exactly these arguments and waits until
    /// <paramref name="listeners"/> UDP sockets are bound to <paramref name="port"/>.
    /// </summary>
    public async Task<BackgroundProcess> StartUdpProxyAsync(IEnumerable<string> arguments, int port = ProxyPort, int listeners = 1)
    {
        BackgroundProcess p = Start("mmproxy", ServerNs, ProxyBinary.Path, arguments);
        await WaitUdpBoundAsync(ServerNs, port, p, listeners);
        return p;
    }

    /// <summary>
    /// The usual UDP proxy: listens on [::]:7000 (IPv4 and IPv6), targets 127.0.0.1:7001 / [::1]:7001, -v 2.
    /// </summary>
    public Task<BackgroundProcess> StartUdpProxyAsync(params string[] extra)
    {
        var args = new List<string>
        {
            "-p", "udp",
            "-l", Endpoint("::", ProxyPort),
            "-4", "127.0.0.1:" + UpstreamPort,
            "-6", "[::1]:" + UpstreamPort,
            "-v", "2",
        };
        args.AddRange(extra);
        return StartUdpProxyAsync(args);
    }

    /// <summary>Waits until <paramref name="count"/> unconnected UDP sockets are bound to the port (per `ss -Hlun`).</summary>
    public async Task WaitUdpBoundAsync(string ns, int port, BackgroundProcess? owner, int count = 1, TimeSpan? timeout = null)
    {
        int bound = 0;
        await Eventually.UntilAsync(
            async () => (bound = await CountUdpSocketsAsync(ns, "-Hlun", "sport", port)) >= count
                || (owner is { HasExited: true } ? throw new InvalidOperationException($"{owner.Label} exited (code {owner.ExitCode}) before binding UDP port {port}") : false),
            () => $"{owner?.Label ?? "nothing"}: {bound} of {count} UDP sockets on port {port} in {ns}",
            timeout);
    }

    /// <summary>Connected UDP sockets in the server namespace whose peer is <paramref name="port"/>: the proxy's open flows towards the upstream.</summary>
    public Task<int> CountUdpFlowSocketsAsync(int port = UpstreamPort) => CountUdpSocketsAsync(ServerNs, "-Hun", "dport", port);

    private static async Task<int> CountUdpSocketsAsync(string ns, string flags, string direction, int port)
    {
        CommandResult r = await Command.CheckAsync("ip", "netns", "exec", ns, "ss", flags, direction, "=", ":" + port);
        return r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    /// <summary>A UDP socket created inside namespace <paramref name="ns"/>, bound to <paramref name="local"/>.</summary>
    public static Socket CreateUdpSocket(string ns, IPEndPoint local)
    {
        Socket socket = NetworkNamespace.CreateSocket(ns, local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (local.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }
            socket.Bind(local);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
