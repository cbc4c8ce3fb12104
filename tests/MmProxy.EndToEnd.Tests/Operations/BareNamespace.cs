using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Operations;

/// <summary>
/// A namespace with only loopback up and no policy routing (unlike <see cref="TestNetwork"/>'s
/// server namespace), for tests that need the routing missing first. Deleted on disposal.
/// </summary>
internal sealed class BareNamespace : IAsyncDisposable
{
    private static int _counter;
    private readonly List<Socket> _sockets = [];

    private BareNamespace(string name) => Name = name;

    public string Name { get; }

    public static async Task<BareNamespace> CreateAsync()
    {
        var ns = new BareNamespace($"mmt-{Environment.ProcessId}-ops{Interlocked.Increment(ref _counter)}");
        await Command.CheckAsync("ip", "netns", "add", ns.Name);
        try
        {
            await Command.CheckAsync("ip", "-n", ns.Name, "link", "set", "lo", "up");
            return ns;
        }
        catch
        {
            await ns.DisposeAsync();
            throw;
        }
    }

    /// <summary>A listening TCP socket inside the namespace (connects complete from the backlog).</summary>
    public void Listen(IPEndPoint endPoint)
    {
        Socket socket = NetworkNamespace.CreateSocket(Name, endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(socket);
        socket.Bind(endPoint);
        socket.Listen(128);
    }

    /// <summary>Runs the proxy binary inside the namespace to completion.</summary>
    public Task<CommandResult> RunProxyAsync(params string[] arguments) =>
        Command.RunAsync("ip", ["netns", "exec", Name, ProxyBinary.Path, .. arguments], TimeSpan.FromSeconds(60));

    /// <summary>Both rule lists and table 123 of both families: what routing apply/remove may touch.</summary>
    public async Task<string> RoutingSnapshotAsync()
    {
        var parts = new List<string>();
        foreach (string family in new[] { "-4", "-6" })
        {
            parts.Add((await Command.CheckAsync("ip", "-n", Name, family, "rule", "show")).StdOut);
            string all = (await Command.CheckAsync("ip", "-n", Name, family, "route", "show", "table", "all")).StdOut;
            parts.Add(string.Join('\n', all.Split('\n').Where(l => l.Contains("table 123", StringComparison.Ordinal))));
        }
        return string.Join("\n---\n", parts);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Socket s in _sockets)
        {
            s.Dispose();
        }
        await Command.RunAsync("ip", ["netns", "delete", Name]);
    }
}
