namespace MmProxy.Tests.Inspect;

/// <summary>
/// The built apphost: MMPROXY_BIN (set by ./test.sh), else src/MmProxy/bin/&lt;configuration&gt;/net10.0/mmproxy
/// found from the test assembly (same configuration as the tests first).
/// </summary>
internal static class MmProxyExecutable
{
    private static readonly Lazy<string> ResolvedPath = new(Resolve);

    public static string Path => ResolvedPath.Value;

    private static string Resolve()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("MMPROXY_BIN");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(fromEnvironment)
                ? System.IO.Path.GetFullPath(fromEnvironment)
                : throw new InvalidOperationException($"MMPROXY_BIN={fromEnvironment} does not exist");
        }

        string baseDirectory = AppContext.BaseDirectory;
        string ownConfiguration = baseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        for (var dir = new DirectoryInfo(baseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(System.IO.Path.Combine(dir.FullName, "MmProxy.sln")))
            {
                continue;
            }

            foreach (string configuration in new[] { ownConfiguration, ownConfiguration == "Release" ? "Debug" : "Release" })
            {
                string candidate = System.IO.Path.Combine(dir.FullName, "src", "MmProxy", "bin", configuration, "net10.0", "mmproxy");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException($"no mmproxy apphost under {dir.FullName}/src/MmProxy/bin: build src/MmProxy first (or set MMPROXY_BIN)");
        }

        throw new InvalidOperationException($"MmProxy.sln not found above {baseDirectory} (set MMPROXY_BIN)");
    }
}
