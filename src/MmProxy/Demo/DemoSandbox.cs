using System.Globalization;

namespace MmProxy.Demo;

/// <summary>
/// A throwaway network namespace with loopback up and the policy routing mmproxy needs, so the
/// demo touches nothing on the host. Deleted on disposal.
/// </summary>
internal sealed class DemoSandbox : IAsyncDisposable
{
    private DemoSandbox(string name) => Name = name;

    public string Name { get; }

    public static string[][] SetupCommands(string name) =>
    [
        ["-n", name, "link", "set", "lo", "up"],
        ["-n", name, "rule", "add", "from", "127.0.0.1/8", "iif", "lo", "table", "123"],
        ["-n", name, "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "123"],
        ["-n", name, "-6", "rule", "add", "from", "::1/128", "iif", "lo", "table", "123"],
        ["-n", name, "-6", "route", "add", "local", "::/0", "dev", "lo", "table", "123"],
    ];

    /// <summary>Creates the namespace; on failure returns null and the reason.</summary>
    public static async Task<(DemoSandbox? Sandbox, string? Error)> CreateAsync(TextWriter output)
    {
        string name = "mmproxy-demo-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        await output.WriteLineAsync("  ip netns add " + name).ConfigureAwait(false);
        string? error = await DemoShell.RunAsync("ip", "netns", "add", name).ConfigureAwait(false);
        if (error is not null)
        {
            return (null, error);
        }
        var sandbox = new DemoSandbox(name);
        foreach (string[] command in SetupCommands(name))
        {
            await output.WriteLineAsync("  ip " + string.Join(' ', command)).ConfigureAwait(false);
            error = await DemoShell.RunAsync("ip", command).ConfigureAwait(false);
            if (error is not null)
            {
                await sandbox.DisposeAsync().ConfigureAwait(false);
                return (null, error);
            }
        }
        return (sandbox, null);
    }

    public async ValueTask DisposeAsync() =>
        _ = await DemoShell.RunAsync("ip", "netns", "delete", Name).ConfigureAwait(false);
}
