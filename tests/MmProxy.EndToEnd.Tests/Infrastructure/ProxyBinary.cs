namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Which proxy executable the suite runs: MMPROXY_E2E_PEER (e.g. /usr/bin/go-mmproxy, to point the
/// same tests at a peer implementation), else MMPROXY_BIN (set by ./test.sh), else our Release or
/// Debug build found from the repository root.
/// </summary>
internal static class ProxyBinary
{
    private static readonly Lazy<string> ResolvedPath = new(Resolve);

    public static string Path => ResolvedPath.Value;

    /// <summary>True when running against a peer implementation rather than our build.</summary>
    public static bool IsPeer => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MMPROXY_E2E_PEER"));

    private static string Resolve()
    {
        foreach (string variable in new[] { "MMPROXY_E2E_PEER", "MMPROXY_BIN" })
        {
            string? value = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrEmpty(value))
            {
                return File.Exists(value)
                    ? System.IO.Path.GetFullPath(value)
                    : throw new InvalidOperationException($"{variable}={value} does not exist");
            }
        }
        string root = RepositoryRoot();
        foreach (string configuration in new[] { "Release", "Debug" })
        {
            string candidate = System.IO.Path.Combine(root, "src", "MmProxy", "bin", configuration, "net10.0", "mmproxy");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException(
            $"no mmproxy binary: build it first with `dotnet build {root}/src/MmProxy/MmProxy.csproj -c Release` " +
            "(or set MMPROXY_BIN / MMPROXY_E2E_PEER)");
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "MmProxy.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"MmProxy.sln not found above {AppContext.BaseDirectory}");
    }
}
