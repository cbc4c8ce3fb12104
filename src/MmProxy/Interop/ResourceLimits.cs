namespace MmProxy.Interop;

/// <summary>getrlimit(2) for the open file limit.</summary>
internal static unsafe class ResourceLimits
{
    private const int OpenFiles = 7; // RLIMIT_NOFILE

    /// <summary>The soft RLIMIT_NOFILE (one more than the largest descriptor number allowed); false when it cannot be read.</summary>
    public static bool TryGetOpenFiles(out ulong soft)
    {
        ResourceLimit limit;
        if (LibC.GetRLimit(OpenFiles, &limit) != 0)
        {
            soft = 0;
            return false;
        }

        soft = limit.Soft;
        return true;
    }
}
