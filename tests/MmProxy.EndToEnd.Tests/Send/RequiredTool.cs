namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>Peers the send tests run against: a missing one fails the test loudly (never a skip).</summary>
internal static class RequiredTool
{
    /// <summary>The executable's full path, found on PATH (or the sbin directories); fails naming the apt package otherwise.</summary>
    public static string Find(string name, string package)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (string dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/usr/bin", "/sbin"]))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"{name} is not installed: `apt-get install {package}` (./test.sh installs it when run as root)");
        return name;
    }
}
