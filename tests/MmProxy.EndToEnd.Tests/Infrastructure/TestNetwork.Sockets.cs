using System.Net;
using System.Net.Sockets;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

internal sealed partial class TestNetwork
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    /// <summary>A TCP connection made by the test process from inside namespace <paramref name="ns"/>.</summary>
    public async Task<Socket> ConnectAsync(string ns, IPEndPoint remote, IPEndPoint? local = null)
    {
        Socket socket = NetworkNamespace.CreateSocket(ns, remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            if (local is not null)
            {
                socket.Bind(local);
            }
            using var cts = new CancellationTokenSource(DefaultTimeout);
            await socket.ConnectAsync(remote, cts.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>From the client namespace, optionally from a chosen port so the test knows it.</summary>
    public Task<Socket> ConnectFromClientAsync(IPEndPoint remote, int localPort = 0) =>
        ConnectAsync(ClientNs, remote, new IPEndPoint(Client(remote.AddressFamily), localPort));

    public Upstream StartUpstream(Func<UpstreamConnection, Task> handler, int port = UpstreamPort)
    {
        Upstream u = Upstream.Start(ServerNs, port, handler);
        lock (_upstreams)
        {
            _upstreams.Add(u);
        }
        return u;
    }

    /// <summary>
    /// Waits until <paramref name="count"/> TCP sockets listen on <paramref name="port"/> in the
    /// namespace (per `ss -Hltn`), failing early if the owning process exits.
    /// </summary>
    public async Task WaitListeningAsync(string ns, int port, BackgroundProcess? owner, int count = 1, TimeSpan? timeout = null)
    {
        int listening = 0;
        await Eventually.UntilAsync(
            async () => (listening = await CountListenersAsync(ns, port)) >= count
                || (owner is { HasExited: true } ? throw new InvalidOperationException($"{owner.Label} exited (code {owner.ExitCode}) before listening on port {port}") : false),
            () => $"{owner?.Label ?? "nothing"}: {listening} of {count} listeners on port {port} in {ns}",
            timeout);
    }

    public async Task<int> CountListenersAsync(string ns, int port)
    {
        CommandResult r = await Command.CheckAsync("ip", "netns", "exec", ns, "ss", "-Hltn", "sport", "=", ":" + port);
        return r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    /// <summary>`ss -Hltnp` lines for the port (process names and pids included).</summary>
    public async Task<string[]> ListenersWithProcessesAsync(string ns, int port)
    {
        CommandResult r = await Command.CheckAsync("ip", "netns", "exec", ns, "ss", "-Hltnp", "sport", "=", ":" + port);
        return r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
