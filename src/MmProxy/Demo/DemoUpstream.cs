using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.Interop;

namespace MmProxy.Demo;

/// <summary>
/// The sample service behind the proxy: listens on 127.0.0.1 and ::1 inside the sandbox and answers
/// every connection with the address and port it was accepted from, then closes.
/// </summary>
internal sealed class DemoUpstream : IAsyncDisposable
{
    private readonly Socket[] _listeners;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    private DemoUpstream(Socket[] listeners) => _listeners = listeners;

    public static DemoUpstream Start(string ns, int port)
    {
        Socket[] listeners = NetworkNamespace.Run(ns, () => new[]
        {
            new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp),
            new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp),
        });
        listeners[1].DualMode = false;
        listeners[0].Bind(new IPEndPoint(IPAddress.Loopback, port));
        listeners[1].Bind(new IPEndPoint(IPAddress.IPv6Loopback, port));
        var upstream = new DemoUpstream(listeners);
        foreach (Socket listener in listeners)
        {
            listener.Listen(64);
            upstream._loops.Add(upstream.AcceptLoopAsync(listener));
        }
        return upstream;
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = AnswerAsync(connection);
        }
    }

    private static async Task AnswerAsync(Socket connection)
    {
        using (connection)
        {
            try
            {
                byte[] reply = Encoding.ASCII.GetBytes(connection.RemoteEndPoint + "\n");
                _ = await connection.SendAsync(reply, SocketFlags.None).ConfigureAwait(false);
                connection.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // The client will report the missing answer.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (Socket listener in _listeners)
        {
            listener.Dispose();
        }
        await Task.WhenAll(_loops).ConfigureAwait(false);
        _stop.Dispose();
    }
}
