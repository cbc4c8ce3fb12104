namespace MmProxy.Diagnostics;

/// <summary>
/// Logger categories. -v filters only <see cref="Connection"/>: 0 = off, 1 = its warnings (errors of
/// individual connections), 2 = also its debug events (every state change).
/// </summary>
internal static class LogCategories
{
    public const string Proxy = "mmproxy";
    public const string Connection = "mmproxy.connection";
}
