using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using MmProxy.Interop;
using MmProxy.ProxyProtocol;

namespace MmProxy.Demo;

/// <summary>
/// `mmproxy demo`: the real proxy in a throwaway network namespace, a sample upstream that reports
/// who connected, and a few PROXY v1/v2 connections from example client addresses, each with a
/// verdict. Exit 0 only when every verdict holds.
/// </summary>
internal static class DemoRunner
{
    private const int ProxyPort = 7000;
    private const int UpstreamPort = 7001;

    public static async Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (!NetworkNamespace.RunningAsRoot)
        {
            await error.WriteLineAsync("mmproxy: demo needs root (network namespaces): sudo mmproxy demo").ConfigureAwait(false);
            return 1;
        }

        // Ctrl+C must still remove the namespace and stop the child proxy: turn the signal into a
        // cancellation and let the disposals below run.
        using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true;
            interrupted.Cancel();
        }
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        try
        {
            return await RunInSandboxAsync(output, error, interrupted.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
        {
            await error.WriteLineAsync("mmproxy: demo interrupted; namespace removed").ConfigureAwait(false);
            return 130;
        }
    }

    private static async Task<int> RunInSandboxAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {

        await output.WriteLineAsync("mmproxy demo: setting up a throwaway network namespace with the loopback routing mmproxy needs").ConfigureAwait(false);
        (DemoSandbox? sandbox, string? failure) = await DemoSandbox.CreateAsync(output).ConfigureAwait(false);
        if (sandbox is null)
        {
            await error.WriteLineAsync("mmproxy: demo: " + failure).ConfigureAwait(false);
            return 1;
        }
        await using (sandbox.ConfigureAwait(false))
        {
            DemoUpstream upstream = DemoUpstream.Start(sandbox.Name, UpstreamPort);
            await using (upstream.ConfigureAwait(false))
            {
                (DemoProxy? proxy, failure) = DemoProxy.Start(sandbox.Name, ProxyPort, UpstreamPort);
                if (proxy is null)
                {
                    await error.WriteLineAsync("mmproxy: demo: " + failure).ConfigureAwait(false);
                    return 1;
                }
                await using (proxy.ConfigureAwait(false))
                {
                    return await RunCasesAsync(sandbox, proxy, output, error, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task<int> RunCasesAsync(DemoSandbox sandbox, DemoProxy proxy, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync("  " + proxy.CommandLine).ConfigureAwait(false);
        string? failure = await proxy.WaitListeningAsync(ProxyPort, TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            await error.WriteLineAsync("mmproxy: demo: " + failure).ConfigureAwait(false);
            await error.WriteAsync(proxy.Output).ConfigureAwait(false);
            return 1;
        }
        await output.WriteLineAsync($"  sample upstream on 127.0.0.1:{UpstreamPort} and [::1]:{UpstreamPort} answers with the address it sees").ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);

        int held = 0;
        IReadOnlyList<DemoCase> cases = DemoCase.Examples(ProxyPort);
        foreach (DemoCase demoCase in cases)
        {
            string seen = await ConnectAsync(sandbox.Name, demoCase, cancellationToken).ConfigureAwait(false);
            (bool ok, string verdict) = Judge(demoCase, seen);
            held += ok ? 1 : 0;
            await output.WriteLineAsync($"  {(ok ? "ok  " : "FAIL")} {demoCase.Label,-38} upstream saw {seen} — {verdict}").ConfigureAwait(false);
        }

        await output.WriteLineAsync().ConfigureAwait(false);
        bool all = held == cases.Count;
        await output.WriteLineAsync($"{held}/{cases.Count} verdicts hold{(all ? "" : "; proxy output follows")}").ConfigureAwait(false);
        if (!all)
        {
            await output.WriteAsync(proxy.Output).ConfigureAwait(false);
        }
        return all ? 0 : 1;
    }

    private static (bool Ok, string Verdict) Judge(DemoCase demoCase, string seen)
    {
        if (!IPEndPoint.TryParse(seen, out IPEndPoint? endPoint))
        {
            return (false, "no answer from the upstream");
        }
        if (demoCase.Source is null)
        {
            return IPAddress.IsLoopback(endPoint.Address)
                ? (true, "not spoofed, as a LOCAL header requires")
                : (false, "spoofed, but a LOCAL header must not be");
        }
        return endPoint.Equals(demoCase.Source) ? (true, "as sent") : (false, $"expected {demoCase.Source}");
    }

    /// <summary>Plays the load balancer: connects from inside the sandbox, sends the header, reads the answer.</summary>
    private static async Task<string> ConnectAsync(string ns, DemoCase demoCase, CancellationToken cancellationToken)
    {
        using Socket socket = NetworkNamespace.Run(ns, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, ProxyPort), timeout.Token).ConfigureAwait(false);
            _ = await socket.SendAsync(demoCase.Header(), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            var answer = new StringBuilder();
            byte[] buffer = new byte[256];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false)) > 0)
            {
                answer.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            string text = answer.ToString().Trim();
            return text.Length == 0 ? "nothing (connection closed)" : text;
        }
        catch (SocketException e)
        {
            return $"nothing ({e.SocketErrorCode})";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "nothing (no answer within 5 s)";
        }
    }
}
