namespace MmProxy.EndToEnd.Tests.Infrastructure;

internal enum StreamEnd
{
    /// <summary>The receive stopped before the stream ended (exact-length read).</summary>
    None,
    Eof,
    Reset,
    Error,
}
