using MmProxy.EndToEnd.Tests.Infrastructure;
using Xunit.Sdk;

namespace MmProxy.EndToEnd.Tests;

/// <summary>
/// Runs a test body against a fresh <see cref="TestNetwork"/>; on failure the assertion message
/// carries the output of every process the test started and what the upstream saw.
/// </summary>
internal static class E2E
{
    public static async Task RunAsync(Func<TestNetwork, Task> body)
    {
        if (!MmProxy.Interop.NetworkNamespace.RunningAsRoot)
        {
            Assert.Fail("the end-to-end tests need root (network namespaces, IP_TRANSPARENT): run them as root");
        }
        _ = ProxyBinary.Path; // fail early and clearly when nothing is built
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TestNetwork net = await TestNetwork.CreateAsync();
        Trace($"created {clock.ElapsedMilliseconds}");
        try
        {
            await body(net);
            Trace($"body {clock.ElapsedMilliseconds}");
        }
        catch (Exception e)
        {
            string details = net.Describe();
            await net.DisposeAsync();
            throw new XunitException($"{e.GetType().Name}: {e.Message}\n\n--- fixture state (proxy: {ProxyBinary.Path})\n{details}", e);
        }
        await net.DisposeAsync();
        Trace($"disposed {clock.ElapsedMilliseconds}");
    }

    /// <summary>Phase timings, appended to the file named by MMPROXY_E2E_TRACE when set.</summary>
    public static void Trace(string text)
    {
        string? path = Environment.GetEnvironmentVariable("MMPROXY_E2E_TRACE");
        if (!string.IsNullOrEmpty(path))
        {
            File.AppendAllText(path, $"{DateTime.UtcNow:HH:mm:ss.fff} {text}\n");
        }
    }
}
