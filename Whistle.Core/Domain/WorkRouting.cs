using Whistle.Core.County;
using Whistle.Core.Problems;

namespace Whistle.Core.Domain;

/// <summary>A work item a department may ask of an institution, along the relation that lists it.</summary>
public sealed record WorkItemChoice(RelationInfo Relation, WorkItemInfo Item);

/// <summary>
/// Who may ask whom for what, one level above the township (issue 17): a department asks an institution only for an
/// active item of the list of a relation both are in — an item that names a department only by that department (a
/// guiding department in its field; a served department for its own service). The duty goes to the office (or linked
/// branch) the item names, else to the institution itself; its deadlines are the item's limits. Pure: unit-tested.
/// </summary>
public static class WorkRouting
{
    public static (WorkItemChoice? Choice, ProblemText? Problem) Choose(CountyCatalog catalog, string departmentId, string? institutionId, string workItemCode)
    {
        var lookup = catalog.FindWorkItem(workItemCode);
        if (lookup is not { } found
            || !found.Item.Active
            || (institutionId is not null && found.Relation.InstitutionId != institutionId)
            || !found.Relation.Departments.Any(d => d.DepartmentId == departmentId)
            || (found.Item.DepartmentId is { } only && only != departmentId))
        {
            return (null, Problem.NotOnRelationList(workItemCode, institutionId ?? lookup?.Relation.InstitutionId ?? ""));
        }

        return (new WorkItemChoice(found.Relation, found.Item), null);
    }

    /// <summary>The one duty of a work request: the item's office or branch, else the institution; due by the item's limits.</summary>
    public static RoutedDuty Route(CountyCatalog catalog, string workItemCode, DateTimeOffset dispatchedAt)
    {
        var (relation, item) = catalog.FindWorkItem(workItemCode)
            ?? throw new InvalidOperationException($"Unknown work item '{workItemCode}'.");
        return new RoutedDuty(
            relation.InstitutionId,
            item.UnitId,
            AssignmentRole.Lead,
            dispatchedAt.AddMinutes(item.ReportWithinMinutes),
            dispatchedAt.AddMinutes(item.ResolveWithinMinutes));
    }

    /// <summary>The work items a department may raise with each institution of its relations (what its form offers).</summary>
    public static IEnumerable<WorkItemChoice> Offered(CountyCatalog catalog, string departmentId) =>
        catalog.RelationsOfDepartment(departmentId)
            .SelectMany(r => r.WorkItemsOrEmpty.Where(i => i.Active && (i.DepartmentId is null || i.DepartmentId == departmentId))
                .Select(i => new WorkItemChoice(r, i)));
}
