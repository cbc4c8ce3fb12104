using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Udp;

/// <summary>
/// <see cref="E2E.RunAsync"/> plus the UDP pieces a test starts (upstreams, sockets): they are
/// disposed with the test and described in the failure message.
/// </summary>
internal sealed class UdpE2E : IAsyncDisposable
{
    private readonly List<UdpUpstream> _upstreams = [];
    private readonly List<IDisposable> _disposables = [];

    private UdpE2E(TestNetwork net) => Net = net;

    public TestNetwork Net { get; }

    public static Task RunAsync(Func<TestNetwork, UdpE2E, Task> body) => E2E.RunAsync(async net =>
    {
        var scope = new UdpE2E(net);
        try
        {
            await body(net, scope);
        }
        catch
        {
            net.Note(scope.Describe());
            throw;
        }
        finally
        {
            await scope.DisposeAsync();
        }
    });

    public UdpUpstream StartUpstream(UdpUpstreamMode mode = UdpUpstreamMode.Echo, int port = TestNetwork.UpstreamPort)
    {
        UdpUpstream u = UdpUpstream.Start(Net.ServerNs, port, mode);
        lock (_upstreams)
        {
            _upstreams.Add(u);
        }
        return u;
    }

    public T Own<T>(T disposable)
        where T : IDisposable
    {
        lock (_disposables)
        {
            _disposables.Add(disposable);
        }
        return disposable;
    }

    public string Describe()
    {
        lock (_upstreams)
        {
            return string.Join('\n', _upstreams.Select(u => u.Describe()));
        }
    }

    public async ValueTask DisposeAsync()
    {
        UdpUpstream[] upstreams;
        lock (_upstreams)
        {
            upstreams = [.. _upstreams];
            _upstreams.Clear();
        }
        foreach (UdpUpstream u in upstreams)
        {
            await u.DisposeAsync();
        }
        lock (_disposables)
        {
            foreach (IDisposable d in _disposables)
            {
                d.Dispose();
            }
            _disposables.Clear();
        }
    }
}
